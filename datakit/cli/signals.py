"""SIGTERM and SIGHUP end a command the way Ctrl-C does: as an exception in the main process.

By default either signal kills Python outright, so an atomic write in progress leaves its
temporary file behind (``datakit.io.atomic``). Raised as ``Terminated`` (a
``KeyboardInterrupt``), it unwinds like Ctrl-C: temporary files are removed, worker pools shut
down, and the command ends with the interrupted exit code. A second signal during that
clean-up kills at once, as the first would have by default. Worker processes forked from
this one inherit the handler but die as the signal asks, so ``Process.terminate()`` still
stops them. A SIGHUP that is ignored (``nohup``) stays ignored.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM or SIGHUP."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def terminate_cleanly() -> None:
    """Install the handlers (again, harmlessly); only the main thread can."""
    if threading.current_thread() is not threading.main_thread():
        return
    main_pid = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != main_pid:
            # A forked worker: die of the signal, as its pool expects.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        for number in SIGNALS:
            if signal.getsignal(number) is not signal.SIG_IGN:
                signal.signal(number, signal.SIG_DFL)
        raise Terminated(signum)

    for number in SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, handler)
