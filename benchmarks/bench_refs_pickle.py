"""Benchmark: reading a RefCOCO-sized refs pickle, the opcode check against the unpickling.

    python benchmarks/bench_refs_pickle.py [--refs 50000] [--protocol 2] [--repeat 3]

The pickle is written as Python 2's cPickle wrote the refer toolkit's files (byte strings,
memoised keys; protocol 0 or 2), with RefCOCO's shape: ``--refs`` refs of three sentences with
tokens. Printed: the CPU time of ``check_opcodes`` alone, of ``load_refs_pickle`` (the check
plus the restricted unpickling) and of ``read_refer`` (loading plus the walk over every ref and
sentence), the best of ``--repeat`` runs. CPU time, not wall time: on a shared machine the
wall time follows the load. With ``PYTHONPATH`` at a checkout from before the check, the
same script times that checkout (the check is then reported as absent).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "convert"))

from refcoco_py2pickle import dumps_py2, py2_strings  # noqa: E402

from datakit.convert.refcoco_raw import read_instances, read_refer  # noqa: E402
from datakit.convert.refer_pickle import load_refs_pickle  # noqa: E402
from datakit.convert.tally import Tally  # noqa: E402

WORDS = ["man", "left", "right", "guy", "woman", "red", "shirt", "blue", "car", "dog", "cat",
         "front", "back", "the", "in", "on", "with", "white", "black", "girl"]


def refs(count: int) -> list[dict[str, object]]:
    rng = random.Random(0)
    out: list[dict[str, object]] = []
    for n in range(count):
        sentences = []
        for k in range(3):
            tokens = [rng.choice(WORDS) for _ in range(rng.randint(2, 6))]
            sentences.append({"tokens": tokens, "raw": " ".join(tokens).capitalize() + ".",
                              "sent_id": 3 * n + k, "sent": " ".join(tokens)})
        out.append({"sent_ids": [s["sent_id"] for s in sentences],
                    "file_name": f"COCO_train2014_{7 * n:012d}_{n}.jpg", "ann_id": 3 * n + 100_000,
                    "ref_id": n, "image_id": 7 * n, "split": rng.choice(["train", "val", "testA"]),
                    "sentences": sentences, "category_id": rng.randint(1, 90)})
    return out


def best_cpu(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refs", type=int, default=50_000)
    parser.add_argument("--protocol", type=int, choices=(0, 2), default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    values = refs(args.refs)
    data = dumps_py2(py2_strings(values), args.protocol)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "refs(unc).p"
        source.write_bytes(data)
        instances = Path(folder) / "instances.json"
        instances.write_text(json.dumps({
            "images": [{"id": r["ref_id"] * 7, "file_name": f"{n}.jpg", "width": 640,
                        "height": 480} for n, r in enumerate(values)],
            "annotations": [{"id": r["ann_id"], "image_id": r["image_id"],
                             "bbox": [1, 2, 30, 40]} for r in values]}))
        index = read_instances(instances, Tally())
        try:
            from datakit.convert.pickle_scan import check_opcodes
        except ImportError:
            scan_text = "absent"
        else:
            scan_text = f"{best_cpu(lambda: check_opcodes(data), args.repeat):.2f} s"
        load = best_cpu(lambda: load_refs_pickle(source), args.repeat)
        read = best_cpu(lambda: read_refer(source, index, Tally()), args.repeat)
    print(f"{args.refs:,} refs, protocol {args.protocol}, {len(data) / 1e6:.1f} MB: "
          f"check_opcodes {scan_text}, load_refs_pickle {load:.2f} s, read_refer {read:.2f} s "
          "(CPU, best of runs)")


if __name__ == "__main__":
    main()
