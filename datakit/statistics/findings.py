"""Run the validation engine and group its findings by sample."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datakit.findings import Finding
from datakit.validation.settings import Settings

SampleKey = tuple[str, int]  # (file as displayed, 0-based record index)


@dataclass
class SampleFindings:
    """Findings of one validation run: per sample, and those about whole files."""

    by_sample: dict[SampleKey, list[Finding]] = field(default_factory=dict)
    file_level: list[Finding] = field(default_factory=list)

    def codes(self) -> dict[SampleKey, tuple[str, ...]]:
        """Each sample's distinct finding codes, sorted."""
        return {key: tuple(sorted({f.code for f in found}))
                for key, found in self.by_sample.items()}


def find_by_sample(
    paths: Sequence[str | Path],
    settings: Settings,
    progress: Callable[[str, int], None] | None = None,
    *,
    engine: str = "local",
    ray_address: str | None = None,
    display_names: Mapping[str, str] | None = None,
) -> SampleFindings:
    """Validate ``paths`` with ``settings`` (on ``engine``) and group the findings by (file,
    record index)."""
    from datakit.validation.engine import validate_files

    # Every finding where it is: no cap on what is kept, and no I011, which folds a file's
    # image-missing findings into one about the whole file.
    settings = settings.with_overrides(max_findings_per_rule=0,
                                       ignore=(*settings.ignore, "I011"))
    report = validate_files([str(p) for p in paths], settings, progress, display_names,
                            engine=engine, ray_address=ray_address)
    grouped = SampleFindings()
    for finding in report.findings:
        index = finding.location.record_index
        if index is None:
            grouped.file_level.append(finding)
        else:
            grouped.by_sample.setdefault((finding.location.file, index), []).append(finding)
    return grouped
