"""In parallel runs, each image file is checked about once, not once per worker process.

Every worker meets nearly every image of a large dataset (a million samples cite 50,000 images
some 26 times each), so each would open all of them. Instead workers report the statuses of the
files they checked with each batch's result; the main process keeps them, finds the image paths
of each outgoing batch in its raw bytes, and sends the statuses it already knows along. Workers
take them as their own (``ImageChecker.learn``) and check only the rest: files first cited in
batches that are in flight together, paths with JSON escapes, Parquet rows. The statuses, and so
the findings, are the same either way; the main process never opens an image or the cache.
"""

from __future__ import annotations

import re

from datakit.validation.images import StatusFields
from datakit.validation.worker import PackedRecord

# A whole <img>PATH</img> inside one JSON string with nothing to unescape in it.
_IMAGE = re.compile(rb'<img>([^<"\\]*)</img>')


class ImagePrefill:
    def __init__(self) -> None:
        self._known: dict[str, StatusFields] = {}

    def learn(self, statuses: dict[str, StatusFields]) -> None:
        """Statuses a worker found (reported with a batch result)."""
        self._known.update(statuses)

    def statuses(self, rows: list[PackedRecord]) -> dict[str, StatusFields]:
        """The known status of each image file the batch cites (as far as its bytes tell)."""
        known = self._known
        out: dict[str, StatusFields] = {}
        if not known:
            return out
        # One search over the batch: no path spans two records (a path stops at a quote).
        blob = b"\n".join(row[5] for row in rows if row[5] is not None)
        for raw_path in set(_IMAGE.findall(blob)):
            try:
                path = raw_path.decode("utf-8")
            except UnicodeDecodeError:
                continue
            fields = known.get(path)
            if fields is not None:
                out[path] = fields
        return out
