from __future__ import annotations

from datakit.cli import main

if __name__ == "__main__":
    main()
