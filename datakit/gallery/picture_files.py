"""Where the preview finds a sample's picture files, confined as ``datakit validate`` confines
them: a relative path only under the image root (a '..' or a symlink that leaves it is not
followed), an absolute one anywhere unless an image root was given, and never a file under
/proc, /sys or /dev (``datakit.io.safe_open``)."""

from __future__ import annotations

import os
from pathlib import Path

from datakit.gallery.draw import OpenedImage, open_as_model_sees
from datakit.io.safe_open import PathResolver


class PictureFiles:
    """``output_folder``: where the preview writes its pictures; a picture in it is not read,
    since this run may replace or prune it."""

    def __init__(self, root: Path, explicit_root: bool, output_folder: Path | None = None
                 ) -> None:
        self.root = root
        self.explicit_root = explicit_root
        self._resolver = PathResolver(str(root))
        self._output = None if output_folder is None else PathResolver(str(output_folder))

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
        if self._output is not None and self._output.under_root(resolved):
            return OpenedImage(None, None, None, "in the preview's own pictures folder, which "
                               "this run rewrites")
        return open_as_model_sees(Path(full), resolved)
