"""Repair what can be repaired in Qwen-VL v1 datasets (``datakit fix``).

``fix_file(path, settings, FixOptions(...)) -> FileFix`` computes the fixed bytes and what
each fixer did; ``write_fixed`` replaces the file atomically. See ``datakit.fix.registry``
for the fixers and the rule codes they repair.
"""

from __future__ import annotations

from datakit.fix.run import FileFix, FixOptions, Note, fix_file, is_left_unfixed, write_fixed

__all__ = ["FileFix", "FixOptions", "Note", "fix_file", "is_left_unfixed", "write_fixed"]
