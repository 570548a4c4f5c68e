"""The persistent image-check cache: hits on unchanged files, never wrong after a change,
stale entries dropped, overlapping runs safe, and an unusable folder only costs time."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from datakit.validation import image_cache
from datakit.validation.image_cache import FILE_NAME, ImageCache
from datakit.validation.images import ImageChecker, ImageStatus

AN_HOUR_AGO = time.time() - 3600


@pytest.fixture(autouse=True)
def _not_racy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache stores nothing for a file changed in the last RACY_S seconds, and a test can
    # set mtime but not ctime: in-process tests lift the guard (one test keeps it), so that
    # they need not sleep.
    if "racy" not in request.node.name:
        monkeypatch.setattr(image_cache, "RACY_S", 0.0)


def _image(path: Path, size: tuple[int, int] = (64, 48), mtime: float = AN_HOUR_AGO) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 200, 30)).save(path)
    os.utime(path, (mtime, mtime))
    return path


def _check(root: Path, cache_dir: Path, name: str, mode: str = "decode") -> ImageStatus:
    """One run: a new checker and a new cache handle, as a new process would have."""
    cache = ImageCache(cache_dir)
    status = ImageChecker(root, mode, cache).check(name)
    cache.close()
    return status


def _rows(cache_dir: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(cache_dir / FILE_NAME) as db:
        rows = db.execute("SELECT path, mode, kind FROM images ORDER BY path").fetchall()
    return [(Path(p).name, m.split("/")[0], k) for p, m, k in rows]


class CountingOpens:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = ImageChecker._open

        def counted(checker: ImageChecker, full: str, resolved: str, st: os.stat_result
                    ) -> tuple[ImageStatus, os.stat_result | None]:
            self.count += 1
            return original(checker, full, resolved, st)

        monkeypatch.setattr(ImageChecker, "_open", counted)


def test_an_unchanged_image_is_not_opened_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _image(tmp_path / "img" / "a.jpg")
    opens = CountingOpens(monkeypatch)
    first = _check(tmp_path, tmp_path / "cache", "img/a.jpg")
    second = _check(tmp_path, tmp_path / "cache", "img/a.jpg")
    assert first == second == ImageStatus("ok", "", 64, 48)
    assert opens.count == 1
    assert _rows(tmp_path / "cache") == [("a.jpg", "decode", "ok")]


@pytest.mark.parametrize("max_rows", [1_000_000, 3])
def test_a_large_run_reads_the_table_once_with_the_same_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_rows: int
) -> None:
    monkeypatch.setattr(image_cache, "BULK_AFTER", 2)
    monkeypatch.setattr(image_cache, "BULK_MAX_ROWS", max_rows)
    names = [f"img/{n}.png" for n in range(6)]
    for n, name in enumerate(names):
        _image(tmp_path / name, size=(10 + n, 20))
    cache = ImageCache(tmp_path / "cache")
    first = [ImageChecker(tmp_path, "header", cache).check(name) for name in names]
    cache.close()
    _image(tmp_path / names[4], size=(99, 99))  # changed since: must not be answered
    opens = CountingOpens(monkeypatch)
    cache = ImageCache(tmp_path / "cache")
    checker = ImageChecker(tmp_path, "header", cache)
    again = [checker.check(name) for name in names]
    assert again[4].width == 99
    assert again[:4] + again[5:] == first[:4] + first[5:]
    assert opens.count == 1  # only the changed image is opened again
    assert bool(cache._store.tables) == (max_rows > len(names))  # read whole, or query by query
    cache.close()


def test_modes_do_not_answer_for_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A header read proves nothing about the pixels.
    _image(tmp_path / "a.png")
    opens = CountingOpens(monkeypatch)
    _check(tmp_path, tmp_path / "cache", "a.png", mode="header")
    _check(tmp_path, tmp_path / "cache", "a.png", mode="decode")
    assert opens.count == 2


@pytest.mark.parametrize("mtime", [AN_HOUR_AGO, time.time() + 3600], ids=["old-mtime", "future"])
def test_racy_a_file_changed_just_now_is_not_stored(tmp_path: Path, mtime: float) -> None:
    # Its ctime is now whatever mtime says: a second same-size write within the time stamp
    # resolution would keep the stamp, so the verdict is not kept.
    _image(tmp_path / "a.png", mtime=mtime)
    assert _check(tmp_path, tmp_path / "cache", "a.png").kind == "ok"
    assert _rows(tmp_path / "cache") == []


@pytest.mark.parametrize(
    "change",
    ["new-size-and-mtime", "same-size-old-mtime-restored"],
)
def test_a_changed_image_is_checked_again(tmp_path: Path, change: str) -> None:
    path = _image(tmp_path / "a.jpg")
    assert _check(tmp_path, tmp_path / "cache", "a.jpg").kind == "ok"
    before = os.stat(path)
    if change == "new-size-and-mtime":
        path.write_bytes(b"not an image")
        os.utime(path, (AN_HOUR_AGO + 60, AN_HOUR_AGO + 60))
    else:  # what `cp -p` or `rsync -t` of a same-sized file does: only ctime tells
        path.write_bytes(b"x" * before.st_size)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(path)
        assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    status = _check(tmp_path, tmp_path / "cache", "a.jpg")
    assert status.kind == "undecodable"


def test_cli_reports_an_image_overwritten_after_it_was_cached_as_ok(tmp_path: Path) -> None:
    _image(tmp_path / "img" / "a.jpg")
    # A subprocess keeps the racy guard: wait until the image is old enough to be stored.
    time.sleep(max(0.0, os.stat(tmp_path / "img" / "a.jpg").st_ctime + 2.05 - time.time()))
    record = {"id": "1", "conversations": [
        {"from": "user", "value": "Picture 1: <img>img/a.jpg</img>\nWhat is it?"},
        {"from": "assistant", "value": "a green picture"},
    ]}
    (tmp_path / "data.json").write_text(json.dumps([record]), encoding="utf-8")
    command = [sys.executable, "-m", "datakit", "validate", "data.json", "--images", "decode",
               "--ignore", "K", "--format", "json", "--cache-dir", "cache"]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}

    def run() -> tuple[int, list[str]]:
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)
        codes = [f["code"] for f in json.loads(done.stdout)["findings"]]
        return done.returncode, codes

    assert run() == (0, [])
    assert _rows(tmp_path / "cache") == [("a.jpg", "decode", "ok")]
    (tmp_path / "img" / "a.jpg").write_bytes(b"garbage" * 10)
    os.utime(tmp_path / "img" / "a.jpg", (AN_HOUR_AGO + 5, AN_HOUR_AGO + 5))
    assert run() == (1, ["I006"])
    assert not (tmp_path / "xdg").exists()  # --cache-dir was honoured


def test_entries_not_confirmed_within_max_age_are_dropped(tmp_path: Path) -> None:
    _image(tmp_path / "old.png")
    _image(tmp_path / "new.png")
    _check(tmp_path, tmp_path / "cache", "old.png")
    _check(tmp_path, tmp_path / "cache", "new.png")
    with sqlite3.connect(tmp_path / "cache" / FILE_NAME) as db:
        db.execute("UPDATE images SET seen = ? WHERE path LIKE '%old.png'",
                   (time.time() - 31 * 86400,))
    cache = ImageCache(tmp_path / "cache", max_age_days=30)
    cache.flush()  # the first write of a run prunes
    cache.close()
    assert _rows(tmp_path / "cache") == [("new.png", "decode", "ok")]


def test_a_hit_refreshes_an_entry_seen_long_ago(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    _check(tmp_path, tmp_path / "cache", "a.png")
    two_days_ago = time.time() - 2 * 86400
    with sqlite3.connect(tmp_path / "cache" / FILE_NAME) as db:
        db.execute("UPDATE images SET seen = ?", (two_days_ago,))
    _check(tmp_path, tmp_path / "cache", "a.png")
    with sqlite3.connect(tmp_path / "cache" / FILE_NAME) as db:
        (seen,) = db.execute("SELECT seen FROM images").fetchone()
    assert seen > time.time() - 60


_HAMMER = """
import sys, time
from pathlib import Path
from datakit.validation.image_cache import ImageCache
folder, tag, start = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
cache = ImageCache(folder)
old = time.time_ns() - 3600 * 10**9
for i in range(3000):
    cache.put(f"/img/{i}.png", (i, old, old), "decode", ("ok", tag, 8, 8))
    if i % 100 == 0:
        cache.flush()
        assert cache.get(f"/img/{i}.png", (i, old, old), "decode") is not None
cache.close()
print("broken" if cache.broken else "ok")
"""


def test_two_processes_writing_at_once_are_safe(tmp_path: Path) -> None:
    start = time.time() + 1.0  # both start writing at the same moment, on a fresh file
    procs = [
        subprocess.Popen([sys.executable, "-c", _HAMMER, str(tmp_path / "cache"), tag,
                          str(start)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("one", "two")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [(p.returncode, out.strip(), err) for p, (out, err) in zip(procs, outputs, strict=True)] == [
        (0, "ok", ""), (0, "ok", "")
    ]
    with sqlite3.connect(tmp_path / "cache" / FILE_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM images").fetchone() == (3000,)
        tags = {tag for (tag,) in db.execute("SELECT DISTINCT detail FROM images")}
    assert tags <= {"one", "two"}


def _put_in_child(cache: ImageCache) -> None:
    old = time.time_ns() - 3600 * 10**9
    cache.put("/img/child.png", (1, old, old), "decode", ("ok", "", 8, 8))
    # No flush, no close: a pool worker simply ends.


def test_a_forked_worker_reconnects_and_flushes_when_it_ends(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path / "cache")
    old = time.time_ns() - 3600 * 10**9
    cache.put("/img/parent.png", (1, old, old), "decode", ("ok", "", 8, 8))  # pending, unsent
    child = multiprocessing.get_context("fork").Process(target=_put_in_child, args=(cache,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    # The child wrote its own entry and not the parent's pending one.
    assert [p for p, _, _ in _rows(tmp_path / "cache")] == ["child.png"]
    cache.close()
    assert [p for p, _, _ in _rows(tmp_path / "cache")] == ["child.png", "parent.png"]


@pytest.mark.parametrize("setup", ["folder-is-a-file", "parent-is-a-file", "corrupt-database"])
def test_an_unusable_cache_folder_only_costs_time(tmp_path: Path, setup: str) -> None:
    _image(tmp_path / "a.png")
    folder = tmp_path / "cache"
    if setup == "folder-is-a-file":
        folder.write_text("not a folder")
    elif setup == "parent-is-a-file":
        (tmp_path / "file").write_text("")
        folder = tmp_path / "file" / "cache"
    else:
        folder.mkdir()
        (folder / FILE_NAME).write_bytes(b"this is not an SQLite database" * 100)
    cache = ImageCache(folder)
    checker = ImageChecker(tmp_path, "decode", cache)
    assert checker.check("a.png") == ImageStatus("ok", "", 64, 48)
    checker.flush()
    cache.close()
    assert cache.broken


def test_cli_with_an_unusable_cache_folder_still_checks(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    (tmp_path / "b.png").write_bytes(b"broken")
    record = {"id": "1", "conversations": [
        {"from": "user", "value": "Picture 1: <img>b.png</img>\nWhat is it?"},
        {"from": "assistant", "value": "nothing"},
    ]}
    (tmp_path / "data.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "data.jsonl", "--ignore", "K",
         "--output-format", "github", "--cache-dir", "not-a-folder"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert (done.returncode, done.stderr) == (1, "")
    assert "I006" in done.stdout and "Traceback" not in done.stdout



def test_parallel_workers_store_what_they_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pool workers end without anyone closing their cache; their entries must still land.
    from datakit.validation import engine, file_pass
    from datakit.validation.settings import Settings

    names = [f"img/{i:02d}.png" for i in range(12)]
    for name in names:
        _image(tmp_path / name)
    records = [{"id": str(i), "conversations": [
        {"from": "user", "value": f"Picture 1: <img>{name}</img>\nWhat is it?"},
        {"from": "assistant", "value": "a green picture"},
    ]} for i, name in enumerate(names)]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records),
                                         encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATAKIT_PARALLEL_MIN_BYTES", "0")
    monkeypatch.setattr(file_pass, "BATCH_RECORDS", 3)
    settings = Settings(jobs=2, images="decode", cache_dir=str(tmp_path / "cache"),
                        ignore=("K",), base_dir=str(tmp_path))
    report = engine.validate_files([str(tmp_path / "data.jsonl")], settings)
    assert [f.code for f in report.findings] == []
    assert sorted(name for name, _, _ in _rows(tmp_path / "cache")) == [
        Path(n).name for n in names
    ]


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [("/srv/cache", "/srv/cache/datakit"), ("relative/cache", "{home}/.cache/datakit"),
     ("", "{home}/.cache/datakit")],
)
def test_default_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg: str, expected: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert image_cache.default_cache_dir() == Path(expected.format(home=tmp_path))


def test_without_a_home_folder_there_is_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    cache = ImageCache(image_cache.default_cache_dir())
    assert cache.get("/img/a.png", (1, 2, 3), "decode") is None
    assert cache.broken
