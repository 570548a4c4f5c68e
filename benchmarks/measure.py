"""Run a command as a real subprocess and measure it: wall time, CPU time and peak memory of
the whole process tree (the command and every worker it starts).

Peak memory is sampled from /proc: every ``interval_s`` the resident set sizes (VmRSS) of the
command and its descendants are summed, and the largest sum is kept. Shared pages (the Python
binary, numpy) count once per process, so the figure is an upper bound of what the tree really
uses. A process's own high-water mark (VmHWM) is also read, so a single-process command's peak
is exact even between samples. New descendants are looked for every ``scan_s`` only: scanning
all of /proc costs milliseconds, reading a known process's status microseconds.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    cpu_s: float  # user + system of the command and every descendant it waited for
    peak_rss_mb: float  # largest sampled sum of VmRSS over the tree (see the module docstring)
    returncode: int


def _kib(path: str, field: str) -> int:
    try:
        with open(path, "rb") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _parent_of(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read()
    except OSError:
        return -1
    # The command name is in parentheses and may hold spaces: the parent pid follows the last ")".
    return int(text[text.rindex(b")") + 2 :].split()[1])


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            parents[int(name)] = _parent_of(name)
    found = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


class _TreeSampler(threading.Thread):
    def __init__(self, root: int, interval_s: float, scan_s: float) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval_s = interval_s
        self.scan_s = scan_s
        self.stop = threading.Event()
        self.peak_kib = 0

    def run(self) -> None:
        pids = {self.root}
        last_scan = 0.0
        while not self.stop.is_set():
            now = time.monotonic()
            if now - last_scan >= self.scan_s:
                pids |= _descendants(self.root)
                last_scan = now
            total = 0
            for pid in list(pids):
                rss = _kib(f"/proc/{pid}/status", b"VmRSS:")
                hwm = _kib(f"/proc/{pid}/status", b"VmHWM:")
                if rss == 0 and hwm == 0:
                    pids.discard(pid)  # gone (or a zombie)
                    continue
                total += rss
                self.peak_kib = max(self.peak_kib, hwm)
            self.peak_kib = max(self.peak_kib, total)
            self.stop.wait(self.interval_s)


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None,
            interval_s: float = 0.02, scan_s: float = 0.25) -> Measurement:
    """Run ``command`` to completion (output discarded) and measure it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    sampler = _TreeSampler(process.pid, interval_s, scan_s)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode not in (0, 1):
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {tail}")
    # A process too short-lived for the sampler still reports its own peak to wait4().
    peak_kib = max(sampler.peak_kib, after.ru_maxrss if after.ru_maxrss > before.ru_maxrss else 0)
    return Measurement(wall, cpu, peak_kib / 1024, process.returncode)
