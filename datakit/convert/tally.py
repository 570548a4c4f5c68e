"""Account for every input item a conversion saw: used, or skipped with a reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    """Counts per kind of input item (``annotation``, ``image``, ``ref``, ``sentence``, ...).

    ``seen[kind]`` must always equal ``used[kind] + sum(skipped[kind].values())``;
    ``check_balanced`` enforces it so that nothing is lost without a reason. ``notes`` counts
    events that are not skips (``clipped`` boxes, image sizes that disagreed, ...).
    """

    seen: Counter[str] = field(default_factory=Counter)
    used: Counter[str] = field(default_factory=Counter)
    skipped: dict[str, Counter[str]] = field(default_factory=dict)
    notes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    max_examples: int = 5

    def see(self, kind: str, n: int = 1) -> None:
        self.seen[kind] += n

    def use(self, kind: str, n: int = 1) -> None:
        self.used[kind] += n

    def skip(self, kind: str, reason: str, example: str | None = None, n: int = 1) -> None:
        self.skipped.setdefault(kind, Counter())[reason] += n
        if example is not None:
            self._example(f"{kind}: {reason}", example)

    def note(self, what: str, example: str | None = None, n: int = 1) -> None:
        self.notes[what] += n
        if example is not None:
            self._example(what, example)

    def _example(self, key: str, example: str) -> None:
        bucket = self.examples.setdefault(key, [])
        if len(bucket) < self.max_examples:
            bucket.append(example)

    def unbalanced(self) -> dict[str, tuple[int, int, int]]:
        """Kinds whose counts do not add up: kind -> (seen, used, skipped)."""
        out = {}
        for kind in sorted(set(self.seen) | set(self.used) | set(self.skipped)):
            skipped = sum(self.skipped.get(kind, Counter()).values())
            if self.seen[kind] != self.used[kind] + skipped:
                out[kind] = (self.seen[kind], self.used[kind], skipped)
        return out

    def check_balanced(self) -> None:
        bad = self.unbalanced()
        if bad:
            raise AssertionError(f"conversion tally does not add up (seen, used, skipped): {bad}")

    def as_dict(self) -> dict[str, Any]:
        kinds = sorted(set(self.seen) | set(self.used) | set(self.skipped))
        return {
            "items": {
                kind: {
                    "seen": self.seen[kind],
                    "used": self.used[kind],
                    "skipped": dict(sorted(self.skipped.get(kind, Counter()).items())),
                }
                for kind in kinds
            },
            "notes": dict(sorted(self.notes.items())),
            "examples": {k: v for k, v in sorted(self.examples.items())},
        }
