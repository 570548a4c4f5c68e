"""Real LLaVA and ms-swift grounding records (tests/data/fix, see its NOTICE.md) brought in
by ``datakit fix``: Qwen-VL v1 that validates without errors, pictures and boxes intact."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from datakit.fix import FixOptions, fix_file, write_fixed
from datakit.validation.engine import validate_files
from datakit.validation.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data" / "fix"
# The stand-in for ms-swift's "/xxx/x.jpg": any size holding the boxes; odd on purpose, so
# that the grid values are fractions the floor has to cut.
SWIFT_PICTURE_PX = (1203, 1799)


def _fix_twice(path: Path, root: Path) -> list[str]:
    """Fix ``path`` (it must change), check a rerun changes nothing, and return the codes of
    the errors validation still finds."""
    settings = Settings(jobs=1, cache=False, base_dir=str(root))
    result = fix_file(path, settings, FixOptions())
    assert result.error is None and result.changed and not result.unfixed()
    write_fixed(result)
    assert not fix_file(path, settings, FixOptions(unsafe=True)).changed
    return [f.code for f in validate_files([str(path)], settings).findings
            if f.severity.value == "error"]


def test_llava_record_becomes_qwen_vl_v1(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    source = json.loads((DATA / "llava_finetune_custom_data.json").read_text(encoding="utf-8"))
    picture = tmp_path / source[0]["image"]
    picture.parent.mkdir()
    Image.new("RGB", (336, 336), (90, 120, 30)).save(picture)
    path = tmp_path / "llava.json"
    path.write_bytes((DATA / "llava_finetune_custom_data.json").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert _fix_twice(path, tmp_path) == []
    (before,) = source
    assert json.loads(path.read_text(encoding="utf-8")) == [{
        "id": before["id"],
        "conversations": [
            {"from": "user", "value": f"Picture 1: <img>{before['image']}</img>\n"
             "Write a prompt for Stable Diffusion to generate this image."},
            {"from": "assistant", "value": before["conversations"][1]["value"]},
        ],
    }]


def _grid(v: float, size_px: int) -> int:
    """Qwen-VL v1's grid value of a pixel coordinate: floor(v * 1000 / size) on [0, 999]."""
    return min(999, max(0, math.floor(Fraction(str(v)) * 1000 / size_px)))


def test_ms_swift_grounding_objects_land_on_the_grid(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("RGB", SWIFT_PICTURE_PX, (20, 40, 60)).save(tmp_path / "x.jpg")
    text = (DATA / "ms_swift_grounding.jsonl").read_text(encoding="utf-8")
    path = tmp_path / "grounding.jsonl"
    path.write_text(text.replace('"/xxx/x.jpg"', '"x.jpg"'), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert _fix_twice(path, tmp_path) == []
    width, height = SWIFT_PICTURE_PX

    def box(b: list[float]) -> str:
        x1, y1, x2, y2 = b
        return (f"<box>({_grid(x1, width)},{_grid(y1, height)}),"
                f"({_grid(x2, width)},{_grid(y2, height)})</box>")

    sources = [json.loads(line) for line in text.splitlines()]
    fixed = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    dog, woman = sources[0]["objects"]["bbox"]
    sheep_1, sheep_2 = sources[1]["objects"]["bbox"]
    # the system turn is the one finetune.py gives every sample, so it goes
    assert fixed == [
        {"conversations": [
            {"from": "user", "value": "Picture 1: <img>x.jpg</img>\nDescribe the image."},
            {"from": "assistant", "value": f"<ref>a dog</ref>{box(dog)} and "
             f"<ref>a woman</ref>{box(woman)} are playing on the beach"}]},
        {"conversations": [
            {"from": "user", "value": "Picture 1: <img>x.jpg</img>\n"
             "Find the <ref>sheep</ref> in the image"},
            {"from": "assistant", "value": box(sheep_1) + box(sheep_2)}]},
    ]
    # the rule, worked once by hand: 331.5 * 1000 / 1203 = 275.56...
    assert box(dog).startswith("<box>(275,423),")


def test_another_system_turn_is_left_as_it_was(tmp_path: Path) -> None:
    line = (DATA / "ms_swift_grounding.jsonl").read_text(encoding="utf-8").splitlines()[1]
    line = line.replace("You are a helpful assistant.", "You are a shepherd.")
    path = tmp_path / "other_system.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    settings = Settings(jobs=1, cache=False, base_dir=str(tmp_path), images="none")
    result = fix_file(path, settings, FixOptions(unsafe=True))
    assert not result.changed
    (note,) = result.unfixed()
    assert note.fixer == "foreign-layout" and "system turn" in note.note
