"""``datakit convert coco`` through a real subprocess: the same bytes as the library's golden
files, exact exit codes and messages, no partial output on failure or interruption, and output
that ``datakit validate`` accepts.

Golden files are shared with ``test_coco_golden.py`` (see there to regenerate them).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from coco_checks import (
    DATA,
    DATUMARO_CAPTIONS,
    DATUMARO_INSTANCES,
    GOLDEN,
    SAMPLE,
    VAL2017,
    WRONG_FORMAT,
)

from datakit.io.atomic import TEMP_MARKER


def _datakit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", *args], cwd=cwd, capture_output=True, text=True,
        check=False,
    )


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TEMP_MARKER in p.name)


def test_val2017_matches_the_golden_file_and_reports(tmp_path: Path) -> None:
    out, report = tmp_path / "out.json", tmp_path / "report.json"
    result = _datakit("convert", "coco", VAL2017.name, "-o", str(out), "--task",
                      "grounding,detection", "--language", "en,zh", "--report", str(report),
                      cwd=VAL2017.parent)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
    assert out.read_bytes() == (GOLDEN / "val2017-grounding-detection.json").read_bytes()
    # rich wraps the title at 80 columns when stderr is not a terminal
    assert result.stderr.replace("\n", "").startswith(f"{out}: 16 records")
    lines = [line.rstrip() for line in result.stderr.splitlines() if "│" in line]
    assert [line.split()[:4] for line in lines] == [
        ["annotation", "│", "37", "│"],
        ["category", "│", "80", "│"],
        ["image", "│", "2", "│"],
    ]
    assert lines[0].endswith("│ crowd 1")
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["output"] == {
        "path": str(out), "format": "json", "records": 16,
        "records_by_task": {"detection": 2, "grounding": 14},
    }
    assert document["input_problems"] is False
    assert document["options"]["tasks"] == ["grounding", "detection"]
    assert document["tally"] == json.loads(
        (GOLDEN / "val2017-grounding-detection.tally.json").read_text(encoding="utf-8")
    )


def test_every_option_reaches_the_conversion(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = _datakit(
        "convert", "coco", str(VAL2017), "-o", str(out), "--data-format", "jsonl", "--task",
        "grounding", "--task", "detection", "--language", "zh", "--seed", "7", "--rounding",
        "round", "--max-boxes", "2", "--include-crowd", "--rename", "dining table=table",
        "--rename", "car=vehicle", "--rename", "truck=vehicle", "--split", "val2017",
        "--path-prefix", "coco/val2017", "-q",
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert out.read_bytes() == (GOLDEN / "val2017-round-crowd-renamed.jsonl").read_bytes()


def test_image_root_is_the_default_prefix_and_sizes_come_from_the_files(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    captions = "../coco_captions/annotations/captions_val.json"
    result = _datakit(
        "convert", "coco", "annotations/instances_val.json", captions, "-o", str(out),
        "--task", "grounding,detection,caption", "--caption-mode", "turns", "--language",
        "en,zh", "--image-root", "images/val", "-q", cwd=DATUMARO_INSTANCES,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert out.read_bytes() == (GOLDEN / "datumaro-val-all-tasks.json").read_bytes()
    # A captions file alone: the caption task by default.
    result = _datakit("convert", "coco", "annotations/captions_train.json", "-o", str(out),
                      "--image-root", "images/train", "-q", cwd=DATUMARO_CAPTIONS)
    assert (result.returncode, result.stderr) == (0, "")
    assert out.read_bytes() == (GOLDEN / "datumaro-train-captions.json").read_bytes()


def test_templates_need_only_the_slots_of_the_tasks_that_run(tmp_path: Path) -> None:
    templates = tmp_path / "fr.toml"
    templates.write_text('[caption]\nfr = ["Décris l\'image."]\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = _datakit("convert", "coco", "annotations/captions_train.json", "-o", str(out),
                      "--data-format", "jsonl", "--templates", str(templates), "--language", "fr",
                      "-q", cwd=DATUMARO_CAPTIONS)
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(out.read_text(encoding="utf-8"))["conversations"] == [
        {"from": "user", "value": "Picture 1: <img>a.jpg</img>\nDécris l'image."},
        {"from": "assistant", "value": "hello"},
    ]
    result = _datakit("convert", "coco", str(VAL2017), "-o", str(out), "--templates",
                      str(templates), "--language", "fr")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"datakit: error: {templates} over built-in: no 'fr' template for prompt slot "
        "'grounding' (languages there: en, zh)"
    )


def test_faulty_records_exit_1_with_the_output_written(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = _datakit("convert", "coco", str(WRONG_FORMAT), "-o", str(out))
    assert result.returncode == 1
    assert out.read_bytes() == (GOLDEN / "mmdet-wrong-format.json").read_bytes()
    assert result.stderr.splitlines()[-2:] == [
        "annotation: duplicate-id:",
        f"  {WRONG_FORMAT}: annotations[1] (id 1): the annotation id is used more than once",
    ]


def _bad_file(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "args,message",
    [
        (["{tmp}/none.json"], "datakit: error: {tmp}/none.json: no such file"),
        (["{bad_top}"], "datakit: error: {bad_top}: the top level is an array, not a COCO object"),
        (["{bad_json}"], "datakit: error: {bad_json}:1:13: not valid JSON (Expecting value)"),
        ([str(VAL2017), "--categories", "persn"],
         f"datakit: error: --categories: {VAL2017} has no category named 'persn'"),
        ([str(VAL2017), "--rename", "person"],
         "datakit: error: --rename 'person' is not OLD=NEW"),
        ([str(VAL2017), "--task", "caption"],
         "datakit: error: the caption task needs a COCO captions file"),
        ([str(VAL2017), "--task", "ground"], "datakit: error: unknown task 'ground'"),
        ([str(VAL2017), "--templates", "{bad_template}"],
         "datakit: error: {bad_template}: [grounding] en template 1 ('Where?') does not use "
         "{{category}}"),
        ([str(VAL2017), str(SAMPLE)],
         f"datakit: error: {SAMPLE} and {VAL2017} are both COCO instances files"),
        ([str(VAL2017), "--image-root", "{tmp}/nowhere"],
         "datakit: error: --image-root {tmp}/nowhere is not a folder"),
    ],
    ids=["missing", "top-level", "syntax", "category", "rename", "caption", "task", "template",
         "two-instances", "image-root"],
)
def test_usage_and_input_errors_exit_2_and_leave_the_old_output(
    tmp_path: Path, args: list[str], message: str
) -> None:
    names = {
        "tmp": str(tmp_path),
        "bad_top": _bad_file(tmp_path, "top.json", "[]"),
        "bad_json": _bad_file(tmp_path, "syntax.json", '{"images": [,]}'),
        "bad_template": _bad_file(tmp_path, "t.json", '{"grounding": {"en": ["Where?"]}}'),
    }
    out = tmp_path / "out.json"
    out.write_text("old output\n", encoding="utf-8")
    result = _datakit("convert", "coco", *(a.format(**names) for a in args), "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == message.format(**names)
    assert result.stderr.splitlines()[1].startswith("  fix: ")
    assert "Traceback" not in result.stderr
    assert out.read_text(encoding="utf-8") == "old output\n"
    assert _leftovers(tmp_path) == []


def test_the_input_is_never_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_bytes(SAMPLE.read_bytes())
    for flag in ("-o", "--report"):
        extra = [] if flag == "-o" else ["-o", str(tmp_path / "out.json")]
        result = _datakit("convert", "coco", str(source), *extra, flag, str(source))
        assert result.returncode == 2
        assert result.stderr.splitlines()[0] == (
            f"datakit: error: refusing to write {source}: it is the input file {source}"
        )
    assert source.read_bytes() == SAMPLE.read_bytes()


def test_unwritable_destinations_are_refused_before_reading(tmp_path: Path) -> None:
    result = _datakit("convert", "coco", str(SAMPLE), "-o", str(tmp_path / "no" / "out.json"))
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        2, f"datakit: error: cannot write {tmp_path}/no/out.json: the directory {tmp_path}/no "
        "does not exist",
    )
    out = str(tmp_path / "out.json")
    result = _datakit("convert", "coco", str(SAMPLE), "-o", out, "--report", out)
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        2, "datakit: error: --report and --output are the same file"
    )
    assert _leftovers(tmp_path) == [] and not Path(out).exists()


def test_missing_output_option_is_a_usage_error() -> None:
    result = _datakit("convert", "coco", str(SAMPLE))
    assert result.returncode == 2
    assert "Missing option '--output'" in result.stderr


def _big_coco(path: Path, images: int, per_image: int) -> None:
    annotations = [
        {"id": i * per_image + k, "image_id": i, "category_id": 1 + k % 3,
         "bbox": [k * 3.5, k * 2.25, 40.5, 30.25], "iscrowd": 0, "area": 1.0,
         "segmentation": [[1.5, 2.5, 3.5, 4.5, 5.5, 6.5]]}
        for i in range(images)
        for k in range(per_image)
    ]
    document = {
        "images": [{"id": i, "file_name": f"{i:012d}.jpg", "width": 640, "height": 480}
                   for i in range(images)],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}],
    }
    path.write_bytes(orjson.dumps(document))


def test_an_interrupted_run_leaves_no_partial_output(tmp_path: Path) -> None:
    source = tmp_path / "big.json"
    _big_coco(source, images=25_000, per_image=6)
    out = tmp_path / "out.json"
    out.write_text("old output\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "datakit", "convert", "coco", str(source), "-o", str(out),
         "--task", "grounding,detection"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while not _leftovers(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.3)  # well into writing records, past the temporary file's creation
    assert proc.poll() is None, "finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "datakit: interrupted"
    assert out.read_text(encoding="utf-8") == "old output\n"
    assert _leftovers(tmp_path) == []


def test_outputs_pass_datakit_validate() -> None:
    # Each golden file is a training file of its own; two files converted from the same images
    # share record ids, which validate rightly reports across files, so they go to separate runs.
    runs = [
        ["--images", "none", "val2017-grounding-detection.json", "val2017-round-crowd-renamed.jsonl",
         "mmdet-sample.json", "datumaro-train-captions.json"],
        ["--images", "none", "val2017-filtered-limit.json", "mmdet-wrong-format.json"],
        # the datumaro fixtures ship their images: every one must open
        ["--image-root", str(DATUMARO_INSTANCES), "datumaro-val-all-tasks.json"],
    ]
    checked = {name for args in runs for name in args if name.startswith(("val", "mm", "datu"))}
    assert checked == {p.name for p in GOLDEN.iterdir() if not p.name.endswith(".tally.json")}
    processes = [
        subprocess.Popen([sys.executable, "-m", "datakit", "validate", "--no-cache", *args],
                         cwd=GOLDEN, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args in runs
    ]
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0, out
        assert "0 error(s)" in out, out


def test_the_data_notice_names_every_copied_file() -> None:
    notice = (DATA / "NOTICE.md").read_text(encoding="utf-8")
    for path in DATA.rglob("*"):
        if path.is_file() and path.name != "NOTICE.md":
            assert path.name in notice, path
