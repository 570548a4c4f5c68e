"""What the record rules share during one run: settings, the image checker, the tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from datakit.findings import Severity
from datakit.validation.settings import Settings

if TYPE_CHECKING:
    from datakit.validation.family_target_type import FamilyTarget
    from datakit.validation.images import ImageChecker


class RunContext:
    """Built once per process (the main one or a worker) from picklable settings."""

    def __init__(
        self,
        settings: Settings,
        severities: dict[str, Severity],
        holdout: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.severities = severities
        self.holdout = holdout
        self.image_refs = 0
        # path -> what the image rules say about it (see rules.images)
        self.image_verdicts: dict[str, Any] = {}
        self._counter: Any = None
        self._counter_loaded = False
        self.images = image_checker_for(settings, severities)
        # the family target of the batch being checked (None: Qwen-VL v1), set by the worker
        self.target: FamilyTarget | None = None
        self._family: dict[str, Any] = {}  # per target: tokenizer state of datakit.family

    def token_counter(self) -> Any:
        """The exact Qwen-VL counter, loaded on first use (None when no K rule is selected)."""
        if not self._counter_loaded:
            self._counter_loaded = True
            if _any_enabled(self.severities, "K001", "K002", "K003", "K004"):
                from datakit.qwenvl.tokens import QwenTokenCounter

                tokenizer = self.settings.tokenizer
                if tokenizer is not None:  # a path in [tool.datakit] is relative to its file
                    tokenizer = str(Path(self.settings.base_dir) / tokenizer)
                self._counter = QwenTokenCounter.load(tokenizer)
        return self._counter

    def close(self) -> None:
        if self.images is not None:
            self.images.flush()


def _any_enabled(severities: dict[str, Severity], *codes: str) -> bool:
    return any(code in severities for code in codes)


def image_checker_for(settings: Settings, severities: dict[str, Severity]) -> ImageChecker | None:
    """The checker for image files, or None when the run does not look at them."""
    # B006 reads the sizes of the pictures boxes are drawn on; so do the family box and
    # token rules (B007, B008, K005-K009) and I012
    if settings.images != "none" and _any_enabled(
            severities, "I003", "I004", "I005", "I006", "I007", "I008", "I009", "I010", "B006",
            "I012", "B007", "B008", "K005", "K006", "K007", "K008", "K009"):
        return _image_checker(settings)
    return None


def _image_checker(settings: Settings) -> ImageChecker:
    from datakit.validation.image_cache import ImageCache, default_cache_dir
    from datakit.validation.images import ImageChecker

    base = Path(settings.base_dir)
    explicit = settings.image_root is not None
    root = base / settings.image_root if settings.image_root is not None else Path.cwd()
    cache = None
    if settings.cache and settings.images in ("header", "decode"):
        folder = Path(settings.cache_dir) if settings.cache_dir else default_cache_dir()
        cache = ImageCache(folder)
    return ImageChecker(root, settings.images, cache, explicit_root=explicit)
