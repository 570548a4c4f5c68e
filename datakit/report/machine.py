"""Machine-readable reports: JSON (schemas/validate-report.schema.json); GitHub annotations
and SARIF live in ``github`` and ``sarif``."""

from __future__ import annotations

import json

from datakit.report.github import GITHUB_ANNOTATIONS, render_github
from datakit.validation.report import Report

__all__ = ["GITHUB_ANNOTATIONS", "render_github", "render_json"]


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
