"""In parallel runs, each image file is checked once by the main process, not once per worker.

Every worker meets nearly every image of a large dataset (a million samples cite 50,000 images
some 26 times each), so each would open all of them. Instead the main process finds the image
paths in each batch's raw bytes, checks each distinct file once with the checker a worker
would build (same root, mode and cache), and sends the statuses along with the batch; workers
take them as their own (``ImageChecker.learn``). Paths with JSON escapes or unusual characters
are left to the workers, which check whatever they were not told: the statuses, and so the
findings, are the same either way.
"""

from __future__ import annotations

import re

from datakit.findings import Severity
from datakit.validation.context import image_checker_for
from datakit.validation.images import ImageChecker, StatusFields
from datakit.validation.settings import Settings
from datakit.validation.worker import PackedRecord

# A whole <img>PATH</img> inside one JSON string with nothing to unescape in it.
_IMAGE = re.compile(rb'<img>([^<"\\]*)</img>')


class ImagePrefill:
    def __init__(self, settings: Settings, severities: dict[str, Severity]) -> None:
        self._settings = settings
        self._severities = severities
        self._checker: ImageChecker | None = None
        self._first = True
        self._off = False  # the run does not look at image files
        self._known: dict[str, StatusFields] = {}

    def statuses(self, rows: list[PackedRecord]) -> dict[str, StatusFields]:
        """The status of every image file the batch cites (as far as its bytes tell)."""
        if self._first:
            # The pool forks its workers when the first batch is submitted; the checker's
            # cache holds a database connection, which must not be open across a fork.
            self._first = False
            return {}
        if self._off:
            return {}
        if self._checker is None:
            self._checker = image_checker_for(self._settings, self._severities)
            if self._checker is None:
                self._off = True
                return {}
        known, check = self._known, self._checker.check
        out: dict[str, StatusFields] = {}
        for row in rows:
            raw = row[5]
            if raw is None or b"<img>" not in raw:
                continue
            for match in _IMAGE.finditer(raw):
                try:
                    path = match.group(1).decode("utf-8")
                except UnicodeDecodeError:
                    continue
                fields = known.get(path)
                if fields is None:
                    status = check(path)
                    fields = known[path] = (status.kind, status.detail, status.width,
                                            status.height)
                out[path] = fields
        return out

    def close(self) -> None:
        if self._checker is not None and self._checker.cache is not None:
            self._checker.cache.close()
