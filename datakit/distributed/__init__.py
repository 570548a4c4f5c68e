"""Runs of ``validate``, ``tokens`` and ``stats`` on a Ray cluster (``pip install "datakit[ray]"``).

Nothing here imports Ray at import time: a run without ``--engine ray`` never loads it.
"""

from __future__ import annotations

ENGINES = ("local", "ray")
