"""What each sample of a file costs its Qwen-family target, as ``datakit tokens`` and
``datakit stats`` count it: picture sizes from the image headers, then the framework's
template, resize rule and cut (``datakit.family.tokens.account_sample``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from datakit.validation import family_api

if TYPE_CHECKING:
    from datakit.family.sample import Sample
    from datakit.validation.family_target_type import FamilyTarget
    from datakit.validation.settings import Settings


class Cost(NamedTuple):
    pictures: list[Any]
    # account_sample's result; None when a picture's size is unknown (``error`` says which)
    counted: Any
    error: str | None


@contextmanager
def family_costs(target: FamilyTarget, settings: Settings
                 ) -> Iterator[Callable[[Sample], Cost]]:
    """A function costing one sample, set up once for the file; the image cache is flushed
    when the block ends."""
    from datakit.family.profiles import framework, model
    from datakit.family.tokens import account_sample
    from datakit.validation.context import _image_checker

    images = _image_checker(settings.with_overrides(images="header"))
    rule = family_api.target_rule(target)
    options: dict[str, Any] = {}
    if target.truncation_strategy is not None and target.framework == "ms-swift":
        options["truncation_strategy"] = target.truncation_strategy
    tokenizer = settings.tokenizer
    if tokenizer is not None:
        tokenizer = str(Path(settings.base_dir) / tokenizer)
    the_model, the_framework = model(target.model), framework(target.framework)

    def cost(sample: Sample) -> Cost:
        pictures = family_api.pictures([i.path for i in sample.images], images, rule)
        unread = [p for p in pictures if p.resized_px is None or p.source_px is None]
        if unread:
            why = unread[0].refused or "not found or not an image"
            return Cost(pictures, None, f"{unread[0].path}: {why}; its token cost is unknown")
        counted = account_sample(
            sample, the_model, the_framework, rule,
            [p.source_px for p in pictures if p.source_px is not None],
            target.max_len, tokenizer=tokenizer, **options)
        return Cost(pictures, counted, counted.error)

    try:
        yield cost
    finally:
        images.flush()
