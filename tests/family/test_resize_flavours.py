"""The two ``smart_resize`` forms the frameworks run, against values printed by the real
functions (transformers 4.57.6 ``image_processing_qwen2_vl.smart_resize``, qwen-vl-utils 0.0.14
``vision_process.smart_resize``), and which framework runs which."""

from __future__ import annotations

import pytest

from datakit.family.profiles import FRAMEWORKS, MODELS
from datakit.family.vision import (
    ImageTooSmall,
    ResizeFlavour,
    image_pad_tokens,
    resize_rule,
    smart_resize,
)

# (width, height, factor, min_pixels, max_pixels) -> (width, height) per flavour
CASES = [
    ((3, 600, 28, 12544, 451584), (28, 1596), (28, 588)),
    ((12, 900, 28, 12544, 451584), (28, 980), (28, 896)),
    ((600, 3, 28, 12544, 451584), (1596, 28), (588, 28)),
    ((3, 600, 28, 3136, 12845056), (28, 812), (28, 588)),
    ((10, 1500, 28, 784, 50176), (28, 364), (28, 1512)),
    ((15, 2000, 32, 65536, 16777216), (32, 2976), (32, 2976)),
]


@pytest.mark.parametrize(("args", "transformers", "utils"), CASES)
def test_each_flavour_gives_what_its_library_gives(
    args: tuple[int, int, int, int, int], transformers: tuple[int, int], utils: tuple[int, int]
) -> None:
    assert smart_resize(*args, flavour="transformers") == transformers
    assert smart_resize(*args, flavour="qwen-vl-utils") == utils


def test_max_pixels_branch_floors_to_zero_only_in_qwen_vl_utils() -> None:
    # qwen-vl-utils returns a 0-wide size here and PIL refuses to resize to it.
    assert smart_resize(30, 6000, 28, 3136, 100_000, flavour="transformers") == (28, 4452)
    with pytest.raises(ImageTooSmall, match="30x6000 shrinks to 0x4452"):
        smart_resize(30, 6000, 28, 3136, 100_000, flavour="qwen-vl-utils")


@pytest.mark.parametrize(
    ("framework", "flavour"),
    [
        ("llama-factory", "transformers"),
        ("qwen-vl-finetune", "transformers"),
        ("ms-swift", "qwen-vl-utils"),
    ],
)
def test_the_framework_chooses_the_flavour(framework: str, flavour: ResizeFlavour) -> None:
    for model in ("qwen2-vl", "qwen2.5-vl", "qwen3-vl"):
        assert resize_rule(MODELS[model], FRAMEWORKS[framework]).flavour == flavour


def test_a_thin_picture_costs_what_qwen_vl_finetune_makes_of_it() -> None:
    # goldens qwen2.5-vl--qwen-vl-finetune: 3x600 and 12x900 at min 12544 / max 451584
    model, framework = MODELS["qwen2.5-vl"], FRAMEWORKS["qwen-vl-finetune"]
    rule = resize_rule(model, framework, min_pixels=12544, max_pixels=451584)
    assert image_pad_tokens((3, 600), rule) == 57
    assert image_pad_tokens((12, 900), rule) == 35
