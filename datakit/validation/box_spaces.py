"""B006's test: are boxes whose values are all below 1000 really in pixels?

Pixel boxes never go beyond their own image: x2 <= width and y2 <= height (Qwen2.5-VL's
absolute coordinates: within the smart-resized size). Grid boxes do not care about the image's
size: on a 640x427 picture they go past x = 640 or y = 427 whenever the object reaches the
right third or the lower half of the picture. For each candidate space (the image's size, the
Qwen2.5-VL resized size, the same after LLaMA-Factory's pre-resize), only pictures smaller than
1000 on both sides in it count, and a grid box stays inside one with a chance of about
(width / 1000) * (height / 1000): objects spread over pictures, and real ones reach the edges
more often (none of the 36 real COCO boxes of tests/data/coco stays inside its 640x427 image),
so this overestimates it. A space is the verdict when

- at least ``MIN_BOXES`` boxes on ``MIN_PICTURES`` pictures count, and at most 1% go beyond;
- grid data would stay inside that often with a chance below ``MAX_CHANCE`` (the binomial
  tail with the boxes' mean chance, which Hoeffding (1956) shows bounds unequal chances);
- the boxes spread over their pictures: on at least 5% of the pictures (one at least) some box
  reaches 90% of the way across, and on 5% 90% of the way down. Grid boxes kept in a top-left
  region (the top-left quadrant of 640x640 pictures, say) also stay inside, but stop short of
  the far edges, where pixel boxes of objects cut by the frame end. One scene whose objects sit
  together stays inside too: hence a few pictures, not just many boxes.

Statistics are kept per file; a file of many records is judged on a sample of them (see
``box_scale.SAMPLE_ALL``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from datakit.validation.box_scale import Example, ScaleTally, furthest_box
from datakit.validation.box_space_sizes import SPACES, TOLERANCE_PX, Space, size_in

# Re-exported: a picture's bounds are read from here too, beside the judge that uses them.
from datakit.validation.box_space_sizes import limits as limits

MIN_BOXES = 10
MIN_PICTURES = 5
MAX_CHANCE = 1e-6
MAX_BEYOND_SHARE = 0.01
MIN_REACH_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class Verdict:
    space: Space
    pictures: int
    boxes: int
    beyond: int
    chance: float  # of grid data going beyond this rarely


def judge(tally: ScaleTally) -> Verdict | None:
    """The space the tally's boxes are in, if not the grid; None when the grid fits or the
    evidence is too thin. Of several spaces that fit, the one with the fewest boxes beyond."""
    best: Verdict | None = None
    for index, space in enumerate(SPACES):
        pictures, boxes, beyond, reach_x, reach_y, expected = tally.space(index)
        if boxes < MIN_BOXES or pictures < MIN_PICTURES or beyond > MAX_BEYOND_SHARE * boxes:
            continue
        wanted_reach = max(1.0, MIN_REACH_SHARE * pictures)
        if reach_x < wanted_reach or reach_y < wanted_reach:
            continue
        chance = grid_chance(beyond, boxes, expected / boxes)
        if chance >= MAX_CHANCE:
            continue
        if best is None or beyond < best.beyond:
            best = Verdict(space, pictures, boxes, beyond, chance)
    return best


def grid_chance(beyond: int, boxes: int, share_beyond: float) -> float:
    """An upper bound on P(at most ``beyond`` of ``boxes`` grid boxes go beyond) when each
    does with mean probability ``share_beyond``: the binomial tail, valid for
    ``beyond <= boxes * share_beyond - 1`` (1.0 above that: nothing unusual)."""
    if beyond > boxes * share_beyond - 1:
        return 1.0
    log_in, log_out = math.log1p(-share_beyond), math.log(share_beyond)
    total = 0.0
    for j in range(beyond + 1):
        log_term = (math.lgamma(boxes + 1) - math.lgamma(j + 1)
                    - math.lgamma(boxes - j + 1) + j * log_out + (boxes - j) * log_in)
        total += math.exp(log_term)
    return min(1.0, total)


def verdicts(tallies: dict[str, ScaleTally]) -> list[tuple[Verdict, ScaleTally]]:
    """Each file whose boxes are in another space; when none is on its own, the files together
    (many small files of one dataset)."""
    out = []
    for tally in tallies.values():
        verdict = judge(tally)
        if verdict is not None:
            out.append((verdict, tally))
    if out or len(tallies) < 2:
        return out
    total = ScaleTally()
    for tally in tallies.values():
        total.merge(tally)
    verdict = judge(total)
    return [(verdict, total)] if verdict is not None else []


def describe(verdict: Verdict, tally: ScaleTally) -> tuple[str, list[Example]]:
    """The finding's message and the examples it cites (pictures that fit the space)."""
    space = verdict.space
    index = SPACES.index(space)
    examples = []
    for example in tally.examples:
        size = size_in(index, example[6], example[7])
        if size is None:
            continue
        width, height = size
        if max(width, height) + TOLERANCE_PX < 999 and example[8] <= width + TOLERANCE_PX and (
                example[9] <= height + TOLERANCE_PX):
            examples.append(example)
    where = "; ".join(_where(e, index) for e in examples[:5])
    beyond = f"all but {verdict.beyond}" if verdict.beyond else "all"
    text = (f"{beyond} of {verdict.boxes} boxes on {verdict.pictures} pictures stay within "
            f"{space.size_text} and spread across them; grid boxes would stay inside this often "
            f"with a chance of {_chance(verdict.chance)}: they look like {space.looks_like}, not "
            "the 0..999 grid")
    return text + (f". Examples: {where}" if where else ""), examples


def _chance(chance: float) -> str:
    return f"{chance:.0e}" if chance > 1e-300 else "below 1e-300"


def _where(example: Example, space: int) -> str:
    file, line, _, _, json_path, value, width, height, _, _ = example
    box = furthest_box(value, width, height)
    at = f":{line}" if line else ""
    size = f"{width}x{height}"
    resized = size_in(space, width, height) if space else None
    if resized:
        size += " (resized {}x{})".format(*resized)
    return f"{file}{at} {json_path} {box} on {size}"
