"""datakit: build and check Qwen-VL fine-tuning data.

``import datakit`` stays light: heavy libraries load only inside the functions that use them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Any

__all__ = ["__version__", "validate"]


def __getattr__(name: str) -> Any:
    # ``datakit.validate`` without loading the validation engine at ``import datakit``.
    if name == "validate":
        from datakit.validation.api import validate

        return validate
    raise AttributeError(f"module 'datakit' has no attribute {name!r}")
