"""WorkerPool: input order, bounded read-ahead, clean stops; batched; default_jobs."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from datakit.io.parallel import WorkerPool, batched, default_jobs

ROOT = Path(__file__).resolve().parents[2]


def slow_square(value: int) -> int:
    # Later items finish first, so only explicit ordering gives input order.
    time.sleep(0.002 * (value % 4 == 0))
    return value * value


def fail_on_three(value: int) -> int:
    if value == 3:
        raise ValueError("three")
    return value


def worker_pid(_: int) -> int:
    return os.getpid()


_STATE: list[int] = []


def remember(value: int) -> None:
    _STATE.append(value)


def read_state(_: int) -> list[int]:
    return list(_STATE)


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_in_input_order(jobs: int) -> None:
    with WorkerPool(jobs) as pool:
        assert list(pool.map(slow_square, range(40), window=5)) == [i * i for i in range(40)]


def test_jobs_1_runs_in_this_process() -> None:
    with WorkerPool(1) as pool:
        assert set(pool.map(worker_pid, range(5))) == {os.getpid()}
    with WorkerPool(2) as pool:
        assert os.getpid() not in set(pool.map(worker_pid, range(20)))


def test_a_pool_serves_several_maps_with_the_same_workers() -> None:
    with WorkerPool(2, initializer=remember, initargs=(7,)) as pool:
        first = list(pool.map(worker_pid, range(20)))
        second = list(pool.map(worker_pid, range(20)))
        assert list(pool.map(slow_square, range(12), window=3)) == [i * i for i in range(12)]
        states = set(map(tuple, pool.map(read_state, range(8))))
    assert os.getpid() not in first
    assert len(set(first) | set(second)) <= 2  # started once, not once per map
    assert states == {(7,)}  # the initializer ran once per worker


def test_a_map_stopped_early_leaves_the_pool_usable() -> None:
    with WorkerPool(2) as pool:
        for value in pool.map(slow_square, range(100), window=4):
            if value == 9:
                break
        assert list(pool.map(slow_square, range(5))) == [0, 1, 4, 9, 16]


def test_never_reads_the_input_ahead_of_the_window() -> None:
    pulled: list[int] = []

    def items() -> Iterator[int]:
        for value in range(1000):
            pulled.append(value)
            yield value

    with WorkerPool(2) as pool:
        results = pool.map(slow_square, items(), window=3)
        assert next(results) == 0
        assert len(pulled) == 4  # the window, plus one submitted as the first result was taken
        results.close()
    assert multiprocessing.active_children() == []


def test_leaving_the_pool_early_shuts_it_down() -> None:
    with WorkerPool(2) as pool:
        for value in pool.map(slow_square, range(10_000)):
            if value == 25:
                break
    assert multiprocessing.active_children() == []


def test_an_error_arrives_at_its_place_in_the_order() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="three"), WorkerPool(2) as pool:
        for value in pool.map(fail_on_three, range(10), window=8):
            got.append(value)
    assert got == [0, 1, 2]
    assert multiprocessing.active_children() == []


def test_initializer_runs_in_each_worker_and_in_process() -> None:
    _STATE.clear()
    with WorkerPool(1, initializer=remember, initargs=(7,)) as pool:
        assert list(pool.map(read_state, range(3))) == [[7], [7], [7]]
        assert list(pool.map(read_state, range(1))) == [[7]]  # once, not once per map
    _STATE.clear()
    with WorkerPool(2, initializer=remember, initargs=(9,)) as pool:
        assert set(map(tuple, pool.map(read_state, range(6)))) == {(9,)}


def test_bad_window() -> None:
    with pytest.raises(ValueError, match="window must be at least 1"), WorkerPool(2) as pool:
        list(pool.map(slow_square, range(3), window=0))


_INTERRUPTED = textwrap.dedent(
    """
    import sys, time
    from datakit.io.parallel import WorkerPool

    def nap(value):
        time.sleep(0.05)
        return value

    if __name__ == "__main__":
        try:
            with WorkerPool(2) as pool:
                for value in pool.map(nap, range(100_000)):
                    if value == 2:
                        print("running", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
    """
)


def test_ctrl_c_stops_cleanly_without_worker_tracebacks(tmp_path: Path) -> None:
    script = tmp_path / "interrupted.py"
    script.write_text(_INTERRUPTED)
    process = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "running\n"
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: the parent and every worker
    stdout, stderr = process.communicate(timeout=30)
    assert (process.returncode, stdout, stderr) == (130, "interrupted\n", "")


def test_batched() -> None:
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([], 3)) == []
    with pytest.raises(ValueError, match="batch size must be at least 1"):
        list(batched(range(3), 0))


def test_default_jobs() -> None:
    assert default_jobs() == len(os.sched_getaffinity(0))
