"""The Python API: what the commands do, for notebooks and scripts.

Every function takes files or folders (a string, a path, or a list of them), reads
``[tool.datakit]`` from the nearest ``pyproject.toml`` (or ``config``) as the command does,
and takes the Settings field names as keywords (``max_len=4096``, ``images="decode"``,
``select="B002"`` or ``select=["B", "T001"]``). The defaults are the command's: the target is
``auto`` (each file checked for the model and trainer its layout says) unless configured.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datakit.errors import ConfigError, InputError

if TYPE_CHECKING:
    from datakit.api_results import Stats, TokenCounts
    from datakit.gallery.run import PreviewResult
    from datakit.validation.report import Report
    from datakit.validation.settings import Settings

PathArg = str | Path
Paths = PathArg | Sequence[PathArg]
# Settings fields that hold lists: a string is one item, never a sequence of characters.
_LISTS = ("select", "ignore", "include", "exclude", "holdout")
_CODES = ("select", "ignore")  # and rule codes may come as a comma list, as on the command line


def resolve_settings(config: PathArg | None = None, settings: Settings | None = None,
                     **overrides: Any) -> Settings:
    """The settings a command would use: ``settings`` (else ``config``, else the nearest
    ``pyproject.toml``), then ``overrides``; the target defaults to ``auto`` as on the
    command line."""
    from dataclasses import fields

    from datakit.validation.settings import Settings, load_settings

    base = settings or load_settings(Path(config) if config is not None else None)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}",
                          fix=f"use the Settings field names: {', '.join(sorted(known))}")
    chosen = {name: _as_tuple(name, value, split=name in _CODES)
              if name in _LISTS and value is not None else value
              for name, value in overrides.items()}
    if chosen.get("target") is None and base.target is None:
        chosen["target"] = "auto"
    return base.with_overrides(**chosen)


def dataset_files(paths: Paths, settings: Settings) -> list[str]:
    """The dataset files meant by ``paths``: files as named, folders searched as ``datakit
    validate`` searches them (non-datasets skipped with a warning)."""
    from datakit.validation.files import select_dataset_files

    named = [Path(p) for p in _as_list(paths)]
    if not named:
        raise InputError("no dataset files given", fix="pass a file, a folder or a list")
    selection = select_dataset_files(named, settings)
    for path, why in selection.not_datasets:
        warnings.warn(f"skipped {path}: {why}", stacklevel=3)
    if selection.empty_folders:
        raise InputError(f"no dataset files in {', '.join(selection.empty_folders)}",
                         fix="datakit reads .json (one array), .jsonl, .json.gz, .jsonl.gz "
                         "and .parquet; check the folder, and include/exclude")
    return selection.files


def validate(paths: Paths, *, config: PathArg | None = None, settings: Settings | None = None,
             engine: str = "local", ray_address: str | None = None,
             **overrides: Any) -> Report:
    """Check datasets as ``datakit validate`` does; returns the ``Report`` (``.findings``,
    ``.exit_code()``, ``.to_pandas()``, ``.as_dict()``).

    >>> report = datakit.validate("samples/broken/", select="B")
    """
    from datakit.validation.api import validate as validate_files

    chosen = resolve_settings(config, settings, **overrides)
    return validate_files(dataset_files(paths, chosen), settings=chosen, engine=engine,
                          ray_address=ray_address)


def stats(paths: Paths, *, findings: bool = True, top_refs: int = 20,
          parquet: PathArg | None = None, config: PathArg | None = None,
          settings: Settings | None = None, **overrides: Any) -> Stats:
    """Token, image, box and text statistics, as ``datakit stats`` computes them;
    ``parquet`` also writes one row per sample there (atomically)."""
    from datakit.api_results import Stats
    from datakit.io.parallel import default_jobs
    from datakit.statistics.collect import collect_stats

    chosen = resolve_settings(config, settings, **overrides)
    files = dataset_files(paths, chosen)
    codes = None
    if findings:
        from datakit.statistics.findings import find_by_sample

        codes = find_by_sample(files, chosen).codes()
    run: dict[str, Any] = {"max_len": chosen.max_len, "tokenizer": chosen.tokenizer,
                           "jobs": chosen.jobs or default_jobs(), "codes_by_sample": codes,
                           "settings": chosen}
    if parquet is None:
        accumulator = collect_stats(files, **run)
    else:
        from datakit.statistics.parquet import SampleTableWriter

        with SampleTableWriter(Path(parquet), chosen.max_len, inputs=files) as table:
            accumulator = collect_stats(files, on_sample=table.add, **run)
    return Stats(accumulator.result(top_refs=top_refs))


def tokens(paths: Paths, *, config: PathArg | None = None, settings: Settings | None = None,
           **overrides: Any) -> TokenCounts:
    """Exact per-sample token counts, as ``datakit tokens`` writes them (one dict per
    sample: tokens, supervised_tokens, truncated, cut_in_image, answer_cut, error...)."""
    import orjson

    from datakit.api_results import TokenCounts
    from datakit.io.records import FileProblem
    from datakit.qwenvl.tokens import QwenTokenCounter

    chosen = resolve_settings(config, settings, **overrides)
    files = dataset_files(paths, chosen)
    QwenTokenCounter.load(chosen.tokenizer)  # a missing vocabulary fails here, with its fix
    problems: list[FileProblem] = []
    rows = [orjson.loads(row[0]) for path in files for row in _token_rows(path, chosen,
                                                                          problems)]
    for problem in problems:
        if problem.fatal:
            where = f"{problem.file}:{problem.line}" if problem.line else problem.file
            warnings.warn(f"{where}: {problem.message}", stacklevel=2)
    return TokenCounts(rows, chosen.max_len)


def _token_rows(path: str, settings: Settings, problems: list[Any]) -> Iterable[Any]:
    from datakit.io.parallel import batched
    from datakit.io.reader import records_only
    from datakit.qwenvl.token_rows import BATCH_RECORDS, account_batch, make_task
    from datakit.validation.family_target import peek_target, wants_resolution

    records: Iterable[Any] = records_only(path, problems)
    if wants_resolution(settings):
        records, target = peek_target(records, settings)
        if target is not None:
            from datakit.validation.family_token_rows import family_rows

            if not target.model_known:
                raise InputError(f"{path}: the data does not say which of "
                                 f"{', '.join(target.candidates)} it is for",
                                 fix=f"pass target= ({' or '.join(target.candidates)})")
            yield from family_rows(records, target, settings)
            return
    for batch in batched(records, BATCH_RECORDS):
        yield from account_batch(make_task(settings.max_len, settings.tokenizer, batch))


def preview(paths: Paths, output: PathArg, *, sample: int | None = 20, seed: int = 0,
            ids: str | Sequence[str] = (), with_findings: bool = False, findings: bool = True,
            max_side: int = 1024, font: PathArg | None = None, config: PathArg | None = None,
            settings: Settings | None = None, **overrides: Any) -> PreviewResult:
    """Draw samples' boxes on their images and write the offline gallery to the folder
    ``output`` (``index.html`` and ``images/``), as ``datakit preview`` does."""
    from datakit.gallery.run import PreviewOptions, write_preview

    chosen = resolve_settings(config, settings, **overrides)
    files = dataset_files(paths, chosen)
    options = PreviewOptions(sample=sample, seed=seed, ids=_as_tuple("ids", ids, split=True),
                             with_findings=with_findings, findings=findings, settings=chosen,
                             max_side=max_side, font=str(font) if font is not None else None)
    return write_preview(files, Path(output), options)


def _as_list(paths: Paths) -> list[PathArg]:
    return [paths] if isinstance(paths, (str, Path)) else list(paths)


def _as_tuple(name: str, value: Any, *, split: bool = False) -> tuple[str, ...]:
    """A string is one item (with ``split``, a comma list such as ``"B,T001"``); a list or
    tuple holds one item each."""
    items = [value] if isinstance(value, (str, Path)) else list(value)
    if not all(isinstance(item, (str, Path)) for item in items):
        raise ConfigError(f"{name} must be a string or a list of strings, got {value!r}")
    if not split:
        return tuple(str(item) for item in items)
    return tuple(part.strip() for item in items for part in str(item).split(",")
                 if part.strip())
