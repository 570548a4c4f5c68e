"""What ``convert --target`` writes passes ``datakit validate --target`` with no error, in every
layout (RefCOCO with its real pictures, so that image sizes, resized sizes and pixel boxes are
all checked)."""

from __future__ import annotations

import pytest
from targets_checks import FAMILY, LAYOUTS, datakit
from test_targets_refcoco import DATA, REFS

_HELP = datakit("validate", "--help").stdout
pytestmark = pytest.mark.skipif("--target" not in _HELP,
                                reason="datakit validate has no --target yet")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("target", FAMILY)
def test_converted_refcoco_validates_for_its_target(tmp_path, target: str, layout: str) -> None:
    out = tmp_path / ("out.jsonl" if layout == "ms-swift" else "out.json")
    converted = datakit("convert", "refcoco", str(REFS), "-o", str(out), "--image-root", "images",
                        "--target", target, "--output-layout", layout, "--task", "rec,region",
                        cwd=DATA)
    assert converted.returncode == 1, converted.stderr  # the planted faults of the pickle
    result = datakit("validate", str(out), "--target", target, cwd=DATA)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 error(s), 0 warning(s)" in result.stdout.replace("\n", " ")
