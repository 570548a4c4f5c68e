"""Image paths resolve exactly as ``Path.resolve`` would, although folders are resolved once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from datakit.validation.images import ImageChecker


class _SpyCache:
    """Records the keys an ImageChecker looks up; remembers nothing."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def get(self, key: str, stamp: object, mode: str) -> None:
        self.keys.append(key)

    def put(self, *args: object) -> None:
        pass


@pytest.fixture
def root(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "img").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", (64, 48)).save(data / "img" / "ok.jpg")
    Image.new("RGB", (64, 48)).save(outside / "secret.jpg")
    (data / "img" / "link_out.jpg").symlink_to(outside / "secret.jpg")
    (data / "img" / "link_in.jpg").symlink_to(data / "img" / "ok.jpg")
    (data / "out_dir").symlink_to(outside)
    (data / "img" / "loop.jpg").symlink_to(data / "img" / "loop.jpg")
    return data


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("img/ok.jpg", "ok"),
        ("./img/ok.jpg", "ok"),
        ("img//ok.jpg", "ok"),
        ("img/./ok.jpg", "ok"),
        ("img/ok.jpg/", "unreadable"),  # Image.open("img/ok.jpg/") fails: not a directory
        ("img/.", "not-a-file"),
        ("img/link_in.jpg", "ok"),
        ("img/../img/ok.jpg", "ok"),
        ("img/link_out.jpg", "outside-root"),
        ("out_dir/secret.jpg", "outside-root"),
        ("../outside/secret.jpg", "outside-root"),
        ("img/..", "not-a-file"),
        ("img/nope.jpg", "missing"),
        ("nope/nope.jpg", "missing"),
        ("img/loop.jpg", "unreadable"),
    ],
)
def test_kind_matches_full_resolution(root: Path, path: str, kind: str) -> None:
    checker = ImageChecker(root, "header")
    # Resolve a neighbour first, so the folder answer comes from the per-folder memo.
    checker.check("img/ok.jpg")
    assert checker.check(path).kind == kind
    if kind == "outside-root":
        assert checker.check(path).detail == str((root / path).resolve())
    if kind == "ok":  # every spelling of a file is cached under the one resolved path
        spy = _SpyCache()
        ImageChecker(root, "header", spy).check(path)  # type: ignore[arg-type]
        assert spy.keys == [str((root / "img" / "ok.jpg").resolve())]


def test_same_verdicts_with_and_without_the_folder_memo(root: Path) -> None:
    paths = ["img/ok.jpg", "img/link_out.jpg", "out_dir/secret.jpg", "img/nope.jpg"]
    warm = ImageChecker(root, "header")
    answers = [warm.check(p) for p in paths]
    for path, answer in zip(paths, answers, strict=True):
        assert ImageChecker(root, "header").check(path) == answer
