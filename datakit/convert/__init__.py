"""Converters from source annotation formats to Qwen-VL conversation records.

Each converter is a pure function from parsed input to records plus a ``Tally`` of what was
used and what was skipped, and why. Reading and writing files happens at the edges.
"""
