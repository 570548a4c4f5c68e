"""``datakit convert dialect``: Qwen-VL family data rewritten for another model and layout,
through real subprocesses. A round trip Qwen-VL -> Qwen2.5-VL -> Qwen3-VL -> Qwen2.5-VL keeps
every box within the sum of the steps' units of the ref's box in source pixels; a picture that
cannot be read skips its record; the source model is never guessed."""

from __future__ import annotations

import json
from pathlib import Path

from targets_checks import back_to_px, datakit, grounded, load_output, units_px
from test_targets_refcoco import DATA, REFS, _ref_boxes, _sizes

from datakit.io.atomic import TEMP_MARKER

# (target, layout, --from for the next step's input)
STEPS = (("qwen2.5-vl", "ms-swift"), ("qwen3-vl", "sharegpt"),
         ("qwen2.5-vl", "qwen-vl-finetune"))


def _v1(tmp_path: Path) -> Path:
    out = tmp_path / "v1.json"
    result = datakit("convert", "refcoco", str(REFS), "-o", str(out), "--image-root", "images",
                     cwd=DATA)
    assert result.returncode == 1, result.stderr  # the planted faults
    return out


def test_round_trip_keeps_every_box_within_the_steps_units(tmp_path: Path) -> None:
    sizes = _sizes()
    expected = _ref_boxes(sizes)
    source, source_model = _v1(tmp_path), "qwen-vl"
    # slack per picture and axis, in source pixels: Qwen-VL's floor costs one grid unit
    slack = {path: units_px("qwen3-vl", size) for path, size in sizes.items()}
    for n, (target, layout) in enumerate(STEPS):
        out = tmp_path / f"step{n}.{'jsonl' if layout == 'ms-swift' else 'json'}"
        result = datakit("convert", "dialect", str(source), "-o", str(out), "--target", target,
                         "--layout", layout, "--from", source_model, cwd=DATA)
        assert result.returncode == 0, result.stderr
        assert "7records" in "".join(result.stderr.split())
        for path, size in sizes.items():
            unit = units_px(target, size, layout)
            slack[path] = (slack[path][0] + unit[0], slack[path][1] + unit[1])
        records = load_output(out, layout)
        assert len(records) == 7
        for record in records:
            path, phrases = grounded(record, target, layout)
            got = back_to_px(phrases[0].boxes[0], target, sizes[path], layout)
            wants = expected[(path, phrases[0].label or "")]
            assert any(
                all(abs(g - w) <= slack[path][i % 2] + 1e-9
                    for i, (g, w) in enumerate(zip(got, want, strict=True)))
                for want in wants
            ), (got, wants, slack[path])
        source, source_model = out, target


def test_the_grid_models_share_their_boxes_without_reading_pictures(tmp_path: Path) -> None:
    """Qwen-VL -> Qwen3-VL -> Qwen2-VL keeps the numbers, and needs no image files."""
    v1 = _v1(tmp_path)
    step1, step2 = tmp_path / "q3.jsonl", tmp_path / "q2.json"
    r1 = datakit("convert", "dialect", str(v1), "-o", str(step1), "--target", "qwen3-vl",
                 "--image-root", str(tmp_path))  # no pictures there
    r2 = datakit("convert", "dialect", str(step1), "-o", str(step2), "--target", "qwen2-vl",
                 "--layout", "qwen-vl-finetune", "--from", "qwen3-vl",
                 "--image-root", str(tmp_path))
    assert (r1.returncode, r2.returncode) == (0, 0), r1.stderr + r2.stderr
    v1_boxes = [json.loads(v1.read_text())[i]["conversations"][1]["value"] for i in range(7)]
    q2_boxes = [r["conversations"][1]["value"] for r in json.loads(step2.read_text())]
    assert [v.split("<box>")[1].split("</box>")[0] for v in v1_boxes] == [
        v.split("<|box_start|>")[1].split("<|box_end|>")[0] for v in q2_boxes]


def test_json_boxes_need_the_source_named(tmp_path: Path) -> None:
    step = tmp_path / "q3.jsonl"
    datakit("convert", "dialect", str(_v1(tmp_path)), "-o", str(step), "--target", "qwen3-vl")
    out = tmp_path / "o.json"
    result = datakit("convert", "dialect", str(step), "-o", str(out), "--target", "qwen2.5-vl")
    assert result.returncode == 2
    assert result.stderr == (
        "datakit: error: the boxes are bbox_2d JSON, which Qwen2.5-VL (pixels) and Qwen3-VL "
        "(0..1000) both write, and no coordinate above 1000 tells which\n"
        "  fix: name the source with --from qwen2.5-vl or --from qwen3-vl\n")
    assert not out.exists()


def test_a_picture_that_cannot_be_read_skips_its_record(tmp_path: Path) -> None:
    v1 = _v1(tmp_path)
    records = json.loads(v1.read_text())
    records[0]["conversations"][0]["value"] = records[0]["conversations"][0]["value"].replace(
        "000000000009", "000000000034")  # absent on purpose
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(records))
    out = tmp_path / "o.jsonl"
    report = tmp_path / "report.json"
    result = datakit("convert", "dialect", str(broken), "-o", str(out), "--target",
                     "qwen2.5-vl", "--report", str(report), cwd=DATA)
    assert result.returncode == 1, result.stderr
    # rich wraps the line where it likes: compare without white space
    assert "".join(f"{broken}:1: images/COCO_train2014_000000000034.jpg: no such file".split()) \
        in "".join(result.stderr.split())
    assert len(out.read_text().splitlines()) == 6
    document = json.loads(report.read_text())
    assert document["tally"]["items"] == {
        "record": {"seen": 7, "used": 6, "skipped": {"file-missing": 1}}}
    assert document["source"]["model"] == "qwen-vl"


def test_nothing_usable_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("old\n")
    result = datakit("convert", "dialect", str(_v1(tmp_path)), "-o", str(out), "--target",
                     "qwen2.5-vl", "--image-root", str(tmp_path))
    assert result.returncode == 1
    assert "datakit: error: no usable record: 7 seen, none used (7 file-missing)" in \
        result.stderr
    assert "fix: check --image-root" in result.stderr
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir() if TEMP_MARKER in p.name] == []


def test_bad_records_are_tallied_and_the_target_is_required(tmp_path: Path) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_text('{"messages": [{"role": "user", "content": "hi"}, '
                      '{"role": "assistant", "content": "hello"}]}\n[1]\n{"nope": 1}\n{bad\n')
    out = tmp_path / "o.json"
    missing = datakit("convert", "dialect", str(source), "-o", str(out))
    assert missing.returncode == 2
    assert missing.stderr.startswith("datakit: error: convert dialect needs --target")
    report = tmp_path / "report.json"
    result = datakit("convert", "dialect", str(source), "-o", str(out), "--target", "qwen2-vl",
                     "--layout", "sharegpt", "--dataset-name", "mixed", "--report", str(report))
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["mixed"]["file_name"] == "o.json"
    assert json.loads(out.read_text()) == [{"conversations": [
        {"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}]
    assert json.loads(report.read_text())["tally"]["items"]["record"] == {
        "seen": 4, "used": 1,
        "skipped": {"invalid-json": 1, "not-an-object": 1, "unknown-layout": 1}}
    assert f"{source}:3: no messages, conversations or query key" in result.stderr


def test_a_box_past_its_picture_is_said_not_clipped_silently(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (320, 240)).save(tmp_path / "a.jpg")  # resized to 308x252 for Qwen2.5-VL
    answer = '```json\n[\n\t{"bbox_2d": [20, 120, 1190, 200], "label": "dog"}\n]\n```'
    record = {"conversations": [{"from": "human", "value": "<image>Where is the dog?"},
                                {"from": "gpt", "value": answer}], "images": ["a.jpg"]}
    (tmp_path / "in.json").write_text(json.dumps([record]))
    result = datakit("convert", "qwen-vl", "in.json", "-o", "out.json", "--from", "qwen2.5-vl",
                     "--target", "qwen-vl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "box-clipped 1" in result.stderr
    value = json.loads((tmp_path / "out.json").read_text())[0]["conversations"][1]["value"]
    assert value.endswith("<box>(64,476),(999,793)</box>"), value
