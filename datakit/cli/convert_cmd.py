"""``datakit convert``: a group whose source formats load only when used."""

from __future__ import annotations

import importlib

import click

# source format -> (module, attribute, help)
SOURCES: dict[str, tuple[str, str, str]] = {
    "coco": ("datakit.cli.convert_coco_cmd", "coco", "COCO instances / captions JSON."),
    "refcoco": (
        "datakit.cli.convert_refcoco_cmd",
        "refcoco",
        "RefCOCO, RefCOCO+, RefCOCOg: raw refer pickles or flattened JSONL / Parquet.",
    ),
    "dialect": (
        "datakit.cli.convert_dialect_cmd",
        "dialect",
        "Qwen-VL family data rewritten for another model or layout, boxes rescaled.",
    ),
    # The name users look for when migrating ("convert my qwen-vl data to qwen2.5-vl").
    "qwen-vl": (
        "datakit.cli.convert_dialect_cmd",
        "dialect",
        "The same as dialect: Qwen-VL / Qwen2-VL / Qwen2.5-VL / Qwen3-VL data, any layout.",
    ),
}


class _LazySources(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SOURCES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = SOURCES.get(cmd_name)
        if entry is None:
            return None
        command: click.Command = getattr(importlib.import_module(entry[0]), entry[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Sources"):
            formatter.write_dl([(name, SOURCES[name][2]) for name in self.list_commands(ctx)])


@click.group(cls=_LazySources)
def convert() -> None:
    """Convert annotations to Qwen-VL conversation JSON (what the trainer loads).

    Every input item is accounted for: used, or skipped with a reason (see --report).
    """
