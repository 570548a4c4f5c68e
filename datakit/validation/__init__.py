"""``datakit validate``: every check that stops a Qwen-VL training run failing or going wrong.

The engine streams records, runs the record rules (in worker processes for large inputs), then
the dataset rules over statistics the record pass collected. Rules live in ``rules/``, one
family per module, each with a stable code, a kebab-case name, a default severity, options and
documentation with a failing and a passing example.
"""
