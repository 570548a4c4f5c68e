"""datakit: build and check Qwen-VL fine-tuning data.

``import datakit`` stays light: heavy libraries load only inside the functions that use them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
