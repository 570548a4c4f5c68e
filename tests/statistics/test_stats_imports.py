"""The stats and preview libraries load pandas, pyarrow, Pillow and tiktoken only when used."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["pandas", "pyarrow", "PIL", "tiktoken", "numpy", "click", "rich"]


def test_importing_the_libraries_is_light() -> None:
    code = (
        "import sys, json\n"
        "import datakit.statistics.collect, datakit.statistics.parquet, datakit.statistics.findings\n"
        "import datakit.gallery.run, datakit.gallery.draw, datakit.gallery.html\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout) == []
