"""B006 on a picture the Qwen2.5-VL processor refuses (aspect ratio above 200): it has no
resized size of the model's own, while LLaMA-Factory, which squeezes the ratio first, has one."""

from __future__ import annotations

import pytest

from datakit.family.vision import ImageTooSmall
from datakit.qwenvl.smart_resize import llama_factory_resize, smart_resize
from datakit.validation.box_space_sizes import limits, size_in


def test_the_model_refuses_a_ratio_above_200() -> None:
    with pytest.raises(ImageTooSmall, match="aspect ratio"):
        smart_resize(1, 201)
    assert smart_resize(1, 200) == (28, 196)


def test_a_refused_picture_keeps_only_the_spaces_that_exist() -> None:
    # LLaMA-Factory: 1x201 grows to 2x453 (image_min_pixels), its short side to 28 px.
    assert llama_factory_resize(1, 201) == (28, 448)
    assert size_in(1, 1, 201) is None
    assert size_in(2, 1, 201) == (28, 448)
    assert [b[:3] for b in limits(1, 201)] == [(0, 2, 202), (3, 29, 449)]
    # One pixel less tall and the model takes it: its size and LLaMA-Factory's both count.
    assert [b[:3] for b in limits(1, 200)] == [(0, 2, 201), (2, 29, 197), (3, 29, 449)]
