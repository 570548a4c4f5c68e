"""Open files named by a dataset (images) or an option (templates) without side effects.

Only regular files are opened: ``stat`` comes first (opening a FIFO blocks until a writer
appears, opening a device can act on it), the open itself does not block (``O_NONBLOCK``), and
what was opened is checked again with ``fstat`` in case the path changed in between. Files
under ``/proc``, ``/sys`` and ``/dev`` are never opened, whatever the path says after symlinks
are followed: many look like regular files, but reading them has effects (``/proc/kmsg``
consumes the kernel log and blocks) or never ends.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")
_SYSTEM_PREFIXES = tuple(folder + os.sep for folder in SYSTEM_FOLDERS)
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(
    os, "O_CLOEXEC", 0)


class NotOpened(Exception):
    """Why a path was not opened. ``kind``: ``missing``, ``not-a-file`` (a folder, FIFO,
    device, socket), ``system`` (under /proc, /sys or /dev), ``unreadable``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def system_folder(resolved: str) -> str | None:
    """The system folder (``/proc``, ``/sys``, ``/dev``) that ``resolved`` (an absolute path
    with symlinks followed) lies in, or None."""
    if resolved.startswith(_SYSTEM_PREFIXES) or resolved in SYSTEM_FOLDERS:
        return next(f for f in SYSTEM_FOLDERS if resolved == f or resolved.startswith(f + os.sep))
    return None


class PathResolver:
    """``os.path.realpath`` of paths, and whether each lies under ``root``.

    Resolving walks every component of a path (a system call each); datasets keep thousands
    of images per folder, so each folder is resolved once and only the file name is looked
    at: unless it is a symlink (or '.', '..'), the result is the resolved folder plus the name.
    """

    def __init__(self, root: str) -> None:
        self.root_resolved = os.path.realpath(root)
        self._root_prefix = os.path.join(self.root_resolved, "")  # with its separator
        # folder as written -> (its resolved path, whether that lies under the root)
        self._folders: dict[str, tuple[str, bool]] = {}

    def resolve(self, full: str) -> tuple[str, bool]:
        folder_as_written, name = os.path.split(full)
        if name in ("", ".", ".."):
            resolved = os.path.realpath(full)
            return resolved, self.under_root(resolved)
        known = self._folders.get(folder_as_written)
        if known is None:
            folder = os.path.realpath(folder_as_written)
            known = self._folders[folder_as_written] = (folder, self.under_root(folder))
        folder, folder_inside = known
        resolved = os.path.join(folder, name)
        try:
            is_link = stat.S_ISLNK(os.lstat(resolved).st_mode)
        except OSError:
            is_link = False  # as realpath: a name that cannot be looked at is kept as written
        if is_link:
            resolved = os.path.realpath(full)
        elif folder_inside:
            return resolved, True
        return resolved, self.under_root(resolved)

    def under_root(self, resolved: str) -> bool:
        return resolved == self.root_resolved or resolved.startswith(self._root_prefix)


def system_file_detail(folder: str) -> str:
    return f"a system file under {folder} (never opened: reading one can block or change things)"


def open_regular(
    path: str, resolved: str | None = None, before: os.stat_result | None = None
) -> tuple[BinaryIO, os.stat_result]:
    """``path`` opened for reading bytes, and its ``fstat``; ``NotOpened`` for anything that is
    not a regular file outside the system folders. ``resolved``: ``os.path.realpath(path)``,
    and ``before``: ``os.stat(path)``, when the caller has them already."""
    real = resolved if resolved is not None else os.path.realpath(path)
    folder = system_folder(real)
    if folder is not None:
        raise NotOpened("system", system_file_detail(folder))
    if before is None:
        try:
            before = os.stat(path)
        except FileNotFoundError:
            raise NotOpened("missing", "no such file") from None
        except OSError as exc:
            raise NotOpened("unreadable", _reason(exc)) from None
    if not stat.S_ISREG(before.st_mode):
        raise NotOpened("not-a-file", file_kind(before.st_mode))
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise NotOpened("missing", "no such file") from None
    except OSError as exc:
        raise NotOpened("unreadable", _reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (
            before.st_dev, before.st_ino
        ):
            raise NotOpened("not-a-file", "replaced while it was being opened")
        return os.fdopen(fd, "rb"), info
    except BaseException:
        os.close(fd)
        raise


def file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
