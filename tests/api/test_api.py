"""The Python API: the commands' work and defaults, typed, visible to help(), light to import."""

from __future__ import annotations

import json
import pydoc
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import datakit

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "samples"
    shutil.copytree(SAMPLES, copy)
    monkeypatch.chdir(copy)  # image paths resolve from here, as the trainer's
    return copy


def test_help_lists_every_function() -> None:
    text = pydoc.render_doc(datakit, renderer=pydoc.plaintext)
    for name in ("validate", "stats", "tokens", "preview", "convert_coco", "convert_refcoco",
                 "convert_dialect"):
        assert f"\n    {name}(" in text, name


def test_import_stays_light() -> None:
    code = ("import sys, datakit; print(sorted(m for m in ('pandas', 'pyarrow', 'tiktoken', "
            "'datakit.api', 'datakit.validation.engine') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_validate_reads_folders_and_takes_one_code_as_a_string(samples: Path) -> None:
    report = datakit.validate("broken/", select="B002")
    assert {f.code for f in report.findings} <= {"B002", "F001", "F002"}
    assert next(f.location.file for f in report.findings if f.code == "B002") == \
        "broken/B002-box-out-of-grid.json"
    as_list = datakit.validate(["broken/"], select=["B002"])
    assert [f.as_dict() for f in as_list.findings] == [f.as_dict() for f in report.findings]


def test_validate_matches_the_command(samples: Path) -> None:
    report = datakit.validate("broken/")
    cli = subprocess.run([sys.executable, "-m", "datakit", "validate", "broken/", "--output-format",
                          "json"], cwd=samples, capture_output=True, text=True)
    document = json.loads(cli.stdout)
    assert document["summary"]["findings"] == report.counts()
    assert cli.returncode == report.exit_code() == 1


def test_the_default_target_is_the_commands(samples: Path) -> None:
    assert datakit.validate("grounding.json").settings.target == "auto"
    assert datakit.validate("grounding.json", target="qwen-vl").settings.target == "qwen-vl"


def test_report_repr_is_short_and_the_frame_flat(samples: Path) -> None:
    report = datakit.validate("broken/")
    counts = report.counts()
    assert repr(report) == (
        f"<Report: {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} info in {report.records} record(s) of {len(report.files)} file(s); "
        "exit code 1>")
    frame = report.to_pandas()
    assert len(frame) == len(report.findings)
    assert {"code", "severity", "message", "file", "line", "column", "record_id",
            "json_path", "fix"} <= set(frame.columns)
    assert all(frame[c].map(lambda v: not isinstance(v, dict)).all() for c in frame.columns)
    assert "<table>" in report._repr_html_() and "B002" in report._repr_html_()


def test_unknown_setting_names_the_fields(samples: Path) -> None:
    from datakit.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown setting"):
        datakit.validate("grounding.json", max_length=4096)


def test_tokens_rows_are_the_commands_lines(samples: Path) -> None:
    counts = datakit.tokens("grounding.json")
    cli = subprocess.run([sys.executable, "-m", "datakit", "tokens", "grounding.json"],
                         cwd=samples, capture_output=True, text=True, check=True)
    assert counts.rows == [json.loads(line) for line in cli.stdout.splitlines()]
    assert len(counts.to_pandas()) == len(counts) == 7
    assert repr(counts).startswith("<TokenCounts: 7 sample(s), 0 over max_len 2,048, 0 failing")


def test_stats_and_preview(samples: Path, tmp_path: Path) -> None:
    result = datakit.stats("grounding.json", findings=False)
    assert result["samples"] == 7 and result.to_pandas()["records"].tolist() == [7]
    gallery = datakit.preview("grounding.json", tmp_path / "gallery", sample=2, findings=False)
    assert gallery.samples == 2 and (tmp_path / "gallery" / "index.html").is_file()


def _same_as_the_command(api_out: Path, args: list[str], cwd: Path) -> None:
    cli_out = api_out.with_name("cli.json")
    subprocess.run([sys.executable, "-m", "datakit", "convert", *args, "-o", str(cli_out),
                    "-q"], cwd=cwd, check=False, capture_output=True)
    assert api_out.read_bytes() == cli_out.read_bytes()


def test_convert_coco_writes_what_the_command_writes(tmp_path: Path) -> None:
    instances = TESTS / "data" / "coco" / "mmdetection" / "coco_dummy" / "annotations" / \
        "instances_val2017.json"
    api = datakit.convert_coco(instances, tmp_path / "api.json", tasks="grounding,detection")
    _same_as_the_command(tmp_path / "api.json",
                         ["coco", str(instances), "--task", "grounding,detection"], tmp_path)
    assert api.records == len(json.loads((tmp_path / "api.json").read_text())) > 0
    assert repr(api) == f"<Converted: {api.records:,} record(s) to {tmp_path / 'api.json'}>"


def test_convert_refcoco_writes_what_the_command_writes(tmp_path: Path) -> None:
    data = TESTS / "data" / "refcoco"
    refs = data / "data" / "refcoco" / "refs(unc).p"
    result = datakit.convert_refcoco(refs, tmp_path / "api.json", splits="train,val")
    _same_as_the_command(tmp_path / "api.json", ["refcoco", str(refs), "--split", "train,val"],
                         tmp_path)
    assert result.records > 0


def test_convert_dialect_writes_what_the_command_writes(samples: Path) -> None:
    out = samples / "api.jsonl"
    result = datakit.convert_dialect("grounding.json", out, target="qwen2.5-vl")
    cli = subprocess.run([sys.executable, "-m", "datakit", "convert", "dialect", "grounding.json",
                          "-o", "cli.jsonl", "--target", "qwen2.5-vl", "-q"], cwd=samples,
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert out.read_bytes() == (samples / "cli.jsonl").read_bytes()
    assert result.records == 7 and not result.input_problems


def test_the_functions_survive_their_own_packages_being_imported() -> None:
    """Importing a subpackage sets it as an attribute of ``datakit``: no public function may
    share a subpackage's name, or the first call would turn it into a module."""
    import importlib
    import pkgutil

    import datakit

    for info in pkgutil.iter_modules(datakit.__path__):
        importlib.import_module(f"datakit.{info.name}")
    for name in datakit.__all__:
        if not name.startswith("__"):
            assert callable(getattr(datakit, name)), name
