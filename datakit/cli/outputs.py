"""What a command reads and writes, checked before it does any work: no output may be one of its
inputs (dataset files, ``--config``, ``--tokenizer``, ``--templates``...) or another output, and
each output must be replaceable (its folder exists, it is not a folder or read-only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from datakit.io.targets import Named, check_targets


def guard_outputs(outputs: Sequence[Named], inputs: Sequence[Named]) -> None:
    from datakit.io.atomic import check_destination

    check_targets(outputs, inputs)
    for _, path in outputs:
        if path is not None:
            check_destination(Path(path))


def dataset_inputs(files: Iterable[str | Path]) -> list[Named]:
    return [("input file", path) for path in files]


def settings_inputs(config: Path | None, tokenizer: str | None) -> list[Named]:
    """The configuration file in use (``--config``, or the pyproject.toml found from here) and
    the vocabulary file that ``--tokenizer`` names."""
    from datakit.validation.settings import find_pyproject

    named: list[Named] = []
    used = config if config is not None else find_pyproject(Path.cwd())
    if used is not None:
        named.append(("--config file" if config is not None else "configuration file", used))
    if tokenizer:
        from datakit.qwenvl.vocab import VOCAB_FILENAME

        path = Path(tokenizer).expanduser()
        named.append(("--tokenizer file", path / VOCAB_FILENAME if path.is_dir() else path))
    return named
