"""``datakit convert coco`` on grounding files: ODVG JSONL and MDETR/GLIP grounding COCO.

ODVG detection files are handed back as COCO instances (converted like any COCO file);
ODVG grounding files and MDETR files become phrase-grounding samples here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from datakit.cli.convert_common import write_coco_report
from datakit.cli.run import EXIT_FINDINGS, EXIT_OK
from datakit.errors import ConfigError


def resolve_grounding(sources: dict[str, tuple[Path, Any]], label_map: Path | None) -> Any:
    """Replace an ODVG detection file in ``sources`` by its COCO instances; return the
    grounding source (``(path, data, kind)``) if the files are grounding, else None."""
    from datakit.convert.odvg import load_label_map, odvg_as_coco

    if "odvg" in sources:
        path, odvg = sources.pop("odvg")
        if label_map is not None or not odvg.has_grounding:
            labels = load_label_map(label_map) if label_map is not None else None
            if "instances" in sources:
                raise ConfigError(f"{path} and {sources['instances'][0]} are both detection "
                                  "files", fix="convert one at a time")
            sources["instances"] = (path, odvg_as_coco(odvg, labels))
            return None
        sources["grounding"] = (path, odvg)
    elif label_map is not None:
        raise ConfigError("--label-map applies to ODVG detection files only",
                          fix="drop --label-map")
    if "grounding" not in sources:
        return None
    if len(sources) > 1:
        raise ConfigError(f"{sources['grounding'][0]} is a grounding file: convert it alone",
                          fix="pass it without other files")
    return sources.pop("grounding")


def run_grounding(source: tuple[Path, Any], options: Any, tasks_given: bool,
                  files: tuple[Path, ...], output: Path, output_format: str,
                  image_root: Path | None, report: Path | None, quiet: bool,
                  is_v1: bool) -> int:
    from rich.console import Console

    from datakit.cli.tally_table import print_tally
    from datakit.convert.coco import PROBLEM_REASONS, has_problems
    from datakit.convert.coco_empty import NothingUsable, empty_fix, empty_reason
    from datakit.convert.coco_prompts import BUILTIN, SLOTS
    from datakit.convert.image_files import size_reader
    from datakit.convert.mdetr import read_mdetr
    from datakit.convert.odvg import OdvgFile, odvg_grounding
    from datakit.convert.phrase_grounding import grounding_records
    from datakit.convert.tally import Tally
    from datakit.io.atomic import write_json_array, write_jsonl

    path, data = source
    if not is_v1:
        raise ConfigError(f"{path} is a grounding file, converted for --target qwen-vl only",
                          fix="drop --target")
    if tasks_given:
        raise ConfigError(f"{path} is a grounding file: it gives phrase-grounding samples only",
                          fix="drop --task")
    prompts = BUILTIN if options.prompts is None else BUILTIN.merged(options.prompts)
    prompts.check(SLOTS, options.languages, used=["grounded-caption", "phrase"])
    tally = Tally()
    grounding = (odvg_grounding(data, tally) if isinstance(data, OdvgFile)
                 else read_mdetr(data, str(path), tally))
    options = dataclasses.replace(options, tasks=("grounding",))
    records = grounding_records(grounding, options, prompts.picker(options.seed,
                                options.languages), tally,
                                size_reader(image_root) if image_root is not None else None)
    written_ids: list[int] = [0]

    def counted() -> Any:
        for record in records:
            written_ids[0] += 1
            yield record
        tally.check_balanced()
        if not written_ids[0]:
            raise NothingUsable(empty_reason(tally) + f"; {output} not written",
                                fix=empty_fix(tally))

    write = write_json_array if output_format == "json" else write_jsonl
    console = Console(stderr=True)
    reasons = PROBLEM_REASONS | {"phrase-has-tag"}
    try:
        written = write(output, counted(), inputs=files)
    except NothingUsable:
        if not quiet:
            print_tally(tally, reasons, title=f"{output}: not written", console=console)
        raise
    if not quiet:
        noun = "record" if written == 1 else "records"
        print_tally(tally, reasons, title=f"{output}: {written:,} {noun}", console=console)
    problems = has_problems(tally)
    if report is not None:
        from collections import Counter

        write_coco_report(report, files, output, output_format, options, written,
                      Counter({"phrase-grounding": written}), tally, problems)
    return EXIT_FINDINGS if problems else EXIT_OK
