"""``datakit preview``: a thin adapter from options to ``write_preview``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from datakit.cli.grammar import GrammarCommand, progress_option
from datakit.cli.options import family_options, family_overrides, split_codes

if TYPE_CHECKING:
    from datakit.gallery.run import PreviewResult
    from datakit.validation.settings import Settings


@click.command(cls=GrammarCommand, renamed={"--out": "--output"})
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output", "-o", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for index.html and images/ (created if needed).")
@click.option("--sample", type=click.IntRange(min=1),
              help="A seeded random N of the candidates (default: 20, or every sample "
              "named by --ids, or with --with-findings every sample with findings).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --sample.")
@click.option("--page-size", type=click.IntRange(min=1), default=25, show_default=True,
              help="Samples per gallery page.")
@click.option("--ids", multiple=True, help="Only samples with these ids (comma lists).")
@click.option("--with-findings", is_flag=True, help="Only samples that validation flags.")
@click.option("--no-findings", is_flag=True,
              help="Do not run validation (no findings in the gallery).")
@click.option("--image-root", type=click.Path(path_type=Path),
              help="Resolve image paths against this folder (default: the working directory, "
              "as the trainer does).")
@click.option("--max-side", type=click.IntRange(min=16), default=1024, show_default=True,
              help="Scale larger pictures down to this longer side (pixels).")
@click.option("--font", type=click.Path(path_type=Path),
              help="A .ttf/.ttc/.otf font for labels (default: an installed CJK font).")
@click.option("--config", type=click.Path(path_type=Path),
              help="A pyproject.toml (or TOML file) with [tool.datakit] for the validation run.")
@click.option("--max-len", type=click.IntRange(min=1), help="The trainer's model_max_length.")
@family_options
@click.option("--tokenizer", help="A Qwen-VL model directory or a qwen.tiktoken file.")
@progress_option
def preview(
    files: tuple[Path, ...],
    out_dir: Path,
    sample: int | None,
    seed: int,
    page_size: int,
    ids: tuple[str, ...],
    with_findings: bool,
    no_findings: bool,
    image_root: Path | None,
    max_side: int,
    font: Path | None,
    config: Path | None,
    max_len: int | None,
    tokenizer: str | None,
    target: str | None,
    framework: str | None,
    min_pixels: int | None,
    max_pixels: int | None,
    truncation_strategy: str | None,
    progress: bool | None,
) -> int:
    """Draw chosen samples' boxes on their images and write an offline HTML gallery.

    FILES: files, folders, or - for standard input.

    Boxes are drawn on the pixels the model sees (the stored image, no EXIF
    rotation), mapped from the 0..999 grid with v / 1000 * size; a file of the
    Qwen2-VL family is read for its target (--target/--framework, or auto as
    validate decides) and its boxes mapped from their own space (0..1000,
    Qwen2.5-VL's resized pixels through the framework's resize, ms-swift's
    real/norm1 objects).

    \b
    Exit codes: 0 written, 2 usage error (missing file, unknown id, ...),
    3 internal error.
    """
    from datakit.cli.inputs import paths_with_stdin
    from datakit.gallery.summary import describe
    from datakit.validation.settings import load_settings

    wanted = split_codes(ids)
    settings = load_settings(config)
    settings = settings.with_overrides(
        max_len=max_len,
        image_root=str(image_root.resolve()) if image_root else None,
        tokenizer=tokenizer,
        **family_overrides(target, framework, min_pixels, max_pixels, truncation_strategy,
                           settings.target),
    )
    with paths_with_stdin(files, settings, "preview") as (paths, names):
        result = _write(paths, names, out_dir, font, config, settings, sample, seed, page_size,
                        wanted, with_findings, no_findings, max_side, progress)
    from datakit.report.safe import printable

    for line in describe(result):
        click.echo(printable(line))
    return 0


def _write(paths: list[str], names: dict[str, str], out_dir: Path, font: Path | None,
           config: Path | None, settings: Settings, sample: int | None, seed: int,
           page_size: int, wanted: tuple[str, ...], with_findings: bool, no_findings: bool,
           max_side: int, progress: bool | None) -> PreviewResult:
    from datakit.cli.outputs import dataset_inputs, settings_inputs
    from datakit.cli.progress import progress_callback
    from datakit.cli.signals import terminate_cleanly
    from datakit.gallery.run import IMAGES_DIR, PreviewOptions, write_preview
    from datakit.io.atomic import check_destination
    from datakit.io.targets import check_not_inside, check_targets

    terminate_cleanly()
    inputs = [*dataset_inputs(paths), *settings_inputs(config, settings.tokenizer),
              ("--font file", font)]
    check_targets([("--output", out_dir / "index.html")], inputs)
    # The pictures folder is the preview's own: it replaces and prunes the files in it.
    check_not_inside(out_dir / IMAGES_DIR, inputs)
    if out_dir.is_dir():  # else it is created
        check_destination(out_dir / "index.html")
    if sample is None and not wanted and not with_findings:
        sample = 20  # with --with-findings: every sample with findings, page by page
    options = PreviewOptions(
        sample=sample,
        seed=seed,
        ids=wanted,
        with_findings=with_findings,
        findings=not no_findings,
        settings=settings,
        max_side=max_side,
        font=str(font) if font is not None else None,
        page_size=page_size,
    )
    with progress_callback(progress) as callback:
        return write_preview(paths, out_dir, options, progress=callback, display_names=names)
