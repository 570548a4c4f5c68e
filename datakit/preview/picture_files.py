"""Where the preview finds a sample's picture files, confined as ``datakit validate`` confines
them: a relative path only under the image root (a '..' or a symlink that leaves it is not
followed), an absolute one anywhere unless an image root was given, and never a file under
/proc, /sys or /dev (``datakit.io.safe_open``)."""

from __future__ import annotations

import os
from pathlib import Path

from datakit.io.safe_open import PathResolver
from datakit.preview.draw import OpenedImage, open_as_model_sees


class PictureFiles:
    def __init__(self, root: Path, explicit_root: bool) -> None:
        self.root = root
        self.explicit_root = explicit_root
        self._resolver = PathResolver(str(root))

    def open(self, path: str) -> OpenedImage:
        """The picture at ``path`` (as written in the record) as the model sees it."""
        absolute = os.path.isabs(path)
        full = path if absolute else os.path.join(str(self.root), path)
        try:
            resolved, inside = self._resolver.resolve(full)
        except (OSError, RuntimeError) as exc:  # symlink loops
            return OpenedImage(None, None, None, f"unreadable: {exc}")
        if (self.explicit_root or not absolute) and not inside:
            return OpenedImage(None, None, None,
                               f"outside the image root: resolves to {resolved}")
        return open_as_model_sees(Path(full), resolved)
