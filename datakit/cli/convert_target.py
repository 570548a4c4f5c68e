"""The options every converter takes to write for a Qwen-VL family target, and the output side:
records written atomically in the layout's format, and LLaMA-Factory's ``dataset_info.json``
entry printed or merged."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from datakit.errors import ConfigError

if TYPE_CHECKING:
    from datakit.convert.prompts import PromptSet

F = TypeVar("F", bound=Callable[..., object])

TARGETS = ("qwen-vl", "qwen2-vl", "qwen2.5-vl", "qwen3-vl")
LAYOUTS = ("ms-swift", "sharegpt", "qwen-vl-finetune")


def target_options(*layout_flags: str) -> Callable[[F], F]:
    """``--target``, the output layout (``layout_flags``: ``--layout``, or
    ``--output-layout`` where ``--layout`` names the input's), ``--min-pixels``,
    ``--max-pixels``, ``--dataset-info`` and ``--dataset-name``; the layout arrives as
    ``output_layout``."""

    def decorate(command: F) -> F:
        return _add_options(command, layout_flags or ("--layout",))

    return decorate


def _add_options(command: F, layout_flags: tuple[str, ...]) -> F:
    options = [
        click.option("--target", type=click.Choice(TARGETS), default="qwen-vl",
                     show_default=True, help="The model the data is written for: its box "
                     "markup and scale (Qwen2-VL and Qwen3-VL 0..1000, Qwen2.5-VL pixels of the "
                     "resized picture)."),
        click.option(*layout_flags, "output_layout", type=click.Choice(LAYOUTS),
                     help="Record layout of the trainer: ms-swift (JSONL, the default for the "
                     "Qwen2-VL family), sharegpt (LLaMA-Factory, JSON array) or "
                     "qwen-vl-finetune (JSON array)."),
        click.option("--min-pixels", type=int, help="Qwen2.5-VL: the smallest picture area "
                     "after resizing, as in training (default: the framework's)."),
        click.option("--max-pixels", type=int, help="Qwen2.5-VL: the largest picture area "
                     "after resizing, as in training (default: the framework's)."),
        click.option("--dataset-info", type=click.Path(path_type=Path), help="sharegpt: merge "
                     "the output's entry into this dataset_info.json (created if missing; "
                     "default: print the entry)."),
        click.option("--dataset-name", help="sharegpt: the dataset's name in dataset_info.json "
                     "(default: the output's file name without its extension)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class TargetChoice:
    """What the command line asked for: the target, and where its dataset entry goes."""

    target: Any  # datakit.convert.targets.Target
    dataset_info: Path | None
    dataset_name: str | None


def given(name: str) -> bool:
    """Whether the option was typed on the command line (not its default)."""
    source = click.get_current_context().get_parameter_source(name)
    return source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def choose_target(target: str, layout: str | None, min_pixels: int | None,
                  max_pixels: int | None, dataset_info: Path | None, dataset_name: str | None,
                  *, v1_only: Iterable[str] = (), v1_layout_only: bool = True,
                  templates: PromptSet | None = None) -> TargetChoice:
    """The target, with every option that does not fit it refused (``ConfigError``):
    ``v1_only`` names the options of the Qwen-VL path (``rounding``) that mean nothing for
    the family; the family options mean nothing for Qwen-VL. ``templates``: the user's prompt
    templates, checked for the target's markup."""
    from datakit.convert.targets import resolve_target

    chosen = resolve_target(target, layout, min_pixels=min_pixels, max_pixels=max_pixels,
                            v1_layout_only=v1_layout_only)
    if chosen.is_v1:
        for flag, value in (("--min-pixels", min_pixels), ("--max-pixels", max_pixels),
                            ("--dataset-info", dataset_info), ("--dataset-name", dataset_name)):
            if value is not None:
                raise ConfigError(f"{flag} applies to the Qwen2-VL family targets only",
                                  fix="drop it, or choose --target qwen2-vl, qwen2.5-vl or "
                                  "qwen3-vl")
        return TargetChoice(chosen, None, None)
    for name in v1_only:
        if given(name):
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{flag} applies to --target qwen-vl only; {chosen.model.title} "
                              "boxes follow the model's own rule",
                              fix=f"drop {flag}")
    if chosen.model.box_space != "resized_px":
        for flag, value in (("--min-pixels", min_pixels), ("--max-pixels", max_pixels)):
            if value is not None:
                raise ConfigError(f"{flag} changes nothing for {chosen.model.title}, whose "
                                  "boxes are on the 0..1000 grid whatever the picture's size",
                                  fix=f"drop {flag}")
    if chosen.layout != "sharegpt":
        for flag, value in (("--dataset-info", dataset_info), ("--dataset-name", dataset_name)):
            if value is not None:
                raise ConfigError(f"{flag} applies to --layout sharegpt (LLaMA-Factory) only",
                                  fix=f"drop {flag}, or choose --layout sharegpt")
    if given("output_format"):
        fmt = click.get_current_context().params.get("output_format")
        if fmt != chosen.output_format:
            raise ConfigError(
                f"--data-format {fmt} does not fit --layout {chosen.layout}, which is written as "
                f"{'JSON Lines' if chosen.output_format == 'jsonl' else 'one JSON array'}",
                fix="drop --data-format: the layout decides it")
    if templates is not None:
        from datakit.convert.family_prompts import check_family_templates

        check_family_templates(templates)
    if dataset_info is not None:
        from datakit.convert.family_dataset_info import read_dataset_info

        read_dataset_info(dataset_info)  # a broken file is refused before any work
    return TargetChoice(chosen, dataset_info, dataset_name)


def write_output(output: Path, records: Iterable[dict[str, Any]], choice: TargetChoice,
                 inputs: Iterable[Path | str]) -> int:
    """The records in the layout's format, atomically; returns how many."""
    from datakit.io.atomic import write_json_array, write_jsonl

    write = write_jsonl if choice.target.output_format == "jsonl" else write_json_array
    return write(output, records, inputs=list(inputs))


def register_output(output: Path, choice: TargetChoice, inputs: Iterable[Path | str]) -> None:
    """For sharegpt, print the ``dataset_info.json`` entry, or merge it into
    ``--dataset-info``."""
    if choice.target.layout != "sharegpt":
        return
    from datakit.convert.family_dataset_info import entry_for, merge_dataset_info

    name, entry = entry_for(output, choice.dataset_name, choice.dataset_info)
    if choice.dataset_info is None:
        import orjson

        text = orjson.dumps({name: entry}, option=orjson.OPT_INDENT_2).decode("utf-8")
        click.echo(text)
        return
    merge_dataset_info(choice.dataset_info, name, entry, [output, *inputs])
