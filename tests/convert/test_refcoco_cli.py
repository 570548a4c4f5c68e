"""``datakit convert refcoco`` end to end: golden outputs, exit codes, messages, validation.

Golden files live in ``tests/golden/refcoco/``; regenerate them after an intended change with
``DATAKIT_REGENERATE_GOLDEN=1 python -m pytest tests/convert/test_refcoco_cli.py`` and review
the diff.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from refcoco_checks import assert_valid_records

DATA = Path(__file__).resolve().parent.parent / "data" / "refcoco"
GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "refcoco"
REGENERATE = os.environ.get("DATAKIT_REGENERATE_GOLDEN") == "1"
JXU = "hub/jxu124/refcoco/data/"

# name -> (arguments, run from tests/data/refcoco; exit code; holdout suffix or None)
CASES: dict[str, tuple[list[str], int, str | None]] = {
    "raw-unc-all": (["data/refcoco/refs(unc).p", "--split", "all", "--image-root", "images",
                     "--path-prefix", "coco/train2014"], 1, ".json"),
    "raw-unc-train-ref-turns": (["data/refcoco/refs(unc).p", "--task", "rec,region",
                                 "--group-by", "ref", "--prompt-set", "natural", "--language",
                                 "en,zh", "--seed", "7", "--text", "raw", "--image-root",
                                 "images"], 1, None),
    "raw-google-protocol0": (["data/refcoco/refs(google).p", "--split", "train,val,test",
                              "--answer", "box", "--format", "jsonl"], 0, None),
    "refcocog-umd": (["data/refcocog/refs(umd).p", "--split", "all", "--image-root", "images"],
                     0, ".txt"),
    "jxu124-parquet": ([f"{JXU}train-00000-of-00001.parquet",
                        f"{JXU}validation-00000-of-00001.parquet",
                        f"{JXU}test-00000-of-00001.parquet", "--split", "all"], 1, None),
    "jxu124-test-jsonl": (["hub/jxu124/refcoco/test.jsonl", "--split", "testA"], 0, None),
    "lmms-lab-val-region": (["hub/lmms-lab/RefCOCO/data/val-00000-of-00001.parquet", "--split",
                             "val", "--task", "region"], 0, ".json"),
    "qwen-eval-testA": (["qwen-eval/refcoco_testA.jsonl", "--split", "testA", "--group-by",
                         "ref"], 1, None),
    "generic-xywh": (["generic/refcoco_train_pairs.jsonl", "--bbox-format", "xywh",
                      "--input-split", "train", "--image-root", "images"], 0, None),
}


def _datakit(*args: str, cwd: Path = DATA) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def _suffix(args: list[str]) -> str:
    return ".jsonl" if "--format" in args and args[args.index("--format") + 1] == "jsonl" \
        else ".json"


def _compare(golden: Path, produced: bytes) -> None:
    if REGENERATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced)
    assert produced == golden.read_bytes(), f"{golden.name} differs from its golden file"


@pytest.mark.parametrize("name", sorted(CASES))
def test_conversion_matches_its_golden_files(name: str, tmp_path: Path) -> None:
    args, exit_code, holdout_suffix = CASES[name]
    suffix = _suffix(args)
    output, report = tmp_path / f"{name}{suffix}", tmp_path / f"{name}.report.json"
    extra = ["-o", str(output), "--report", str(report)]
    holdout = tmp_path / f"{name}.holdout{holdout_suffix}" if holdout_suffix else None
    if holdout is not None:
        extra += ["--emit-holdout", str(holdout)]
    result = _datakit("convert", "refcoco", *args, *extra)
    assert (result.returncode, result.stdout) == (exit_code, ""), result.stderr
    _compare(GOLDEN / output.name, output.read_bytes())
    _compare(GOLDEN / report.name, report.read_bytes().replace(f"{tmp_path}/".encode(), b""))
    if holdout is not None:
        _compare(GOLDEN / holdout.name, holdout.read_bytes())
    text = output.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()] if suffix == ".jsonl" \
        else json.loads(text)
    assert_valid_records(records)
    # The tally table's title (rich wraps it at 80 columns, anywhere).
    assert f"{output.name}:{len(records)}records" in "".join(result.stderr.split())


def test_a_second_run_gives_the_same_bytes(tmp_path: Path) -> None:
    args = CASES["raw-unc-train-ref-turns"][0]
    assert _datakit("convert", "refcoco", *args, "-o", str(tmp_path / "a.json"), "-q",
                    "--report", str(tmp_path / "a.report.json")).returncode == 1
    assert (tmp_path / "a.json").read_bytes() == (GOLDEN / "raw-unc-train-ref-turns.json"
                                                  ).read_bytes()


def test_every_golden_output_passes_datakit_validate() -> None:
    outputs = [str(GOLDEN / f"{name}{_suffix(args)}") for name, (args, _, _) in CASES.items()]
    # Each output is its own dataset: cross-file duplicate ids and samples (D001, D002) are
    # expected between copies of the same refs, and each file's ids are checked unique above.
    result = _datakit("validate", "--images", "none", "--ignore", "D001,D002", *outputs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("0 error(s), 0 warning(s), 0 info in ")
    # The outputs whose paths point at the miniature's images, with the images checked.
    named = [str(GOLDEN / f"{n}.json") for n in ("raw-unc-train-ref-turns", "refcocog-umd",
                                                  "generic-xywh")]
    result = _datakit("validate", "--images", "header", *named)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("0 error(s), 0 warning(s), 0 info in ")


def test_the_holdout_finds_evaluation_images_in_a_mix_and_none_in_train() -> None:
    holdout = str(GOLDEN / "raw-unc-all.holdout.json")
    leaky = _datakit("validate", "--images", "none", "--holdout", holdout,
                     str(GOLDEN / "raw-unc-all.json"))
    assert leaky.returncode == 1
    # val r2 (2 sentences) and testB r4 use image 25, testA r3 (2 sentences) image 30.
    assert leaky.stdout.count("D003 error holdout-leak") == 5
    train = _datakit("validate", "--images", "none", "--holdout", holdout,
                     str(GOLDEN / "raw-unc-train-ref-turns.json"))
    assert train.returncode == 0, train.stdout


def test_a_malicious_pickle_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    class System:
        def __reduce__(self) -> tuple[object, ...]:
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    folder = tmp_path / "data" / "refcoco"
    folder.mkdir(parents=True)
    (folder / "refs(unc).p").write_bytes(pickle.dumps([System()], protocol=2))
    (folder / "instances.json").write_bytes((DATA / "data/refcoco/instances.json").read_bytes())
    result = _datakit("convert", "refcoco", "data/refcoco/refs(unc).p", "-o", "out.json",
                      cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "datakit: error: data/refcoco/refs(unc).p: refused to load this pickle: it asks to "
        "import posix.system; a refs pickle holds only lists, dicts, strings and numbers, so "
        "loading it could run foreign code\n"
        "  fix: use the refs(<splitBy>).p file of the refer release, or a flattened copy "
        "(JSONL / Parquet); never load an untrusted pickle with pickle.load\n"
    )
    assert not (tmp_path / "ran").exists()
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["generic/refcoco_train_pairs.jsonl", "--input-split", "train"],
         "datakit: error: generic/refcoco_train_pairs.jsonl: columns (image, sent, bbox) are not "
         "a RefCOCO layout datakit knows (jxu124, lmms-lab, qwen-eval)\n  fix: for other copies "
         "pass --layout generic --bbox-format xyxy|xywh (columns: one of image_path, image, "
         "file_name; one of sentences, sent, sentence, expression, expressions, captions, "
         "answer; bbox; optional width, height, split, ref_id)\n"),
        (["generic/refcoco_train_pairs.jsonl", "--layout", "generic"],
         "datakit: error: generic/refcoco_train_pairs.jsonl: the box convention of this generic "
         "layout is not known: bbox could be [x1,y1,x2,y2] or [x,y,w,h]\n  fix: pass "
         "--bbox-format xyxy or --bbox-format xywh (datakit never guesses)\n"),
        (["data/refcoco/refs(unc).p", "--split", "testC"],
         "datakit: error: --split: refcoco (unc) has no split 'testC'\n  fix: its splits are "
         "train, val, testA, testB (or 'all')\n"),
        (["hub/lmms-lab/RefCOCO/data/val-00000-of-00001.parquet"],
         "datakit: error: the input has no refs in the selected split(s) train; it has: val "
         "(2 refs)\n  fix: choose splits with --split (e.g. --split val,testA), or --split all\n"),
        (["data/refcoco/refs(unc).p", "--instances", "nowhere.json"],
         "datakit: error: nowhere.json: no such file\n  fix: check the path (it is relative to "
         "the working directory); the raw layout needs the instances.json next to the refs "
         "file (or pass --instances)\n"),
        (["data/refcoco/refs(unc).p", "--templates", "{tmp}/caption.json"],
         "datakit: error: {tmp}/caption.json: unknown prompt slot 'caption'\n  fix: "
         "use one of: rec, region\n"),
        (["data/refcoco/refs(unc).p", "--templates", "{tmp}/rec.json"],
         "datakit: error: {tmp}/rec.json: [rec] en template 2 ('Where?') uses neither {{ref}} "
         "nor {{expression}}\n  fix: every rec template must contain {{ref}} or {{expression}}\n"),
    ],
    ids=["unknown-layout", "ambiguous-box", "unknown-split", "split-absent", "no-instances",
         "unknown-slot", "rec-without-expression"],
)
def test_usage_and_input_errors_exit_2_with_a_clear_message(
    args: list[str], stderr: str, tmp_path: Path
) -> None:
    (tmp_path / "caption.json").write_text('{"caption": {"en": ["Describe."]}}')
    (tmp_path / "rec.json").write_text('{"rec": {"en": ["Find {ref}.", "Where?"]}}')
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = _datakit("convert", "refcoco", *args, "-o", str(tmp_path / "out.json"))
    expected = stderr.replace("{tmp}", str(tmp_path)).replace("{{", "{").replace("}}", "}")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", expected)
    assert not (tmp_path / "out.json").exists()


def test_the_output_may_not_be_an_input() -> None:
    result = _datakit("convert", "refcoco", "qwen-eval/refcoco_testA.jsonl", "--split", "testA",
                      "-o", "qwen-eval/refcoco_testA.jsonl")
    assert result.returncode == 2
    assert "datakit never overwrites its input" in result.stderr


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    result = _datakit("convert", "refcoco", "hub/jxu124/refcoco/test.jsonl", "--split", "testA",
                      "-o", str(tmp_path / "out.json"), "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
