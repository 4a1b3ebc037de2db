"""Small-count suppression for reports that may leave the site.

Primary suppression: a count from 1 to `min_cell_count - 1` (1..10 with the default 11)
is shown as `<11`; 0 is shown as 0. Complementary suppression: counts are tied together
by equations (a total is the sum of its parts: the overall funnel is the sum of the site
funnels; `remaining` before a step = `remaining` after it + `removed` at it; eligible +
potential + ineligible = all patients). A hidden cell must not be recoverable from the
cells that are shown, so other cells are hidden too (shown as `*`).

The check is interval propagation over all equations at once, assuming a reader who
knows this method: a `<11` cell lies in [1, min_cell_count - 1], a `*` cell (always a
count >= min_cell_count, since smaller non-zero counts are already `<11`) in
[min_cell_count, infinity), a shown cell is exact. Bounds are tightened through every
equation until nothing changes. While some `<11` cell's bounds collapse to a single
value, the smallest shown non-zero cell of an equation that holds a pinned hidden cell
is hidden as well (parts before totals), and the check starts again. This protects each
cell against what its equations reveal, which is the usual standard for published
tables; it is not a full linear-programming audit.

Pure functions, no I/O: `pipelines.feasibility` builds the cells and equations.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_MIN_CELL_COUNT = 11
COMPLEMENTARY = "*"

Key = Hashable
Bounds = tuple[float, float]


@dataclass(frozen=True)
class Equation:
    """`total` equals the sum of `parts` (all keys of cells)."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Suppression:
    """Which cells are hidden, and why."""

    min_cell_count: int
    primary: frozenset[Key]
    complementary: frozenset[Key]

    @property
    def small_label(self) -> str:
        return small_label(self.min_cell_count)

    def show(self, key: Key, value: int) -> int | str:
        """What a report prints for the cell `key` holding `value`."""
        if key in self.primary:
            return self.small_label
        if key in self.complementary:
            return COMPLEMENTARY
        return value


def small_label(min_cell_count: int = DEFAULT_MIN_CELL_COUNT) -> str:
    """The text shown in place of a small count: '<11' for the default threshold."""
    return f"<{min_cell_count}"


def is_small(value: int, min_cell_count: int = DEFAULT_MIN_CELL_COUNT) -> bool:
    """True for a count that primary suppression hides (1 .. min_cell_count - 1)."""
    return 1 <= value < min_cell_count


def show_count(value: int, min_cell_count: int = DEFAULT_MIN_CELL_COUNT) -> int | str:
    """Primary suppression alone, for a count that no equation ties to others."""
    return small_label(min_cell_count) if is_small(value, min_cell_count) else value


def suppress(
    cells: Mapping[Key, int],
    equations: Sequence[Equation] = (),
    min_cell_count: int = DEFAULT_MIN_CELL_COUNT,
    cost: Callable[[Key], int] | None = None,
) -> Suppression:
    """Primary suppression of small counts, then complementary suppression (see module).

    `cost(key)` ranks cells for complementary suppression: lower is hidden first (e.g.
    a site's cell before the overall one); ties go to parts before totals, then the
    smaller count, then the order of `cells`.
    """
    if min_cell_count < 1:
        raise ValueError(f"min_cell_count must be >= 1 (got {min_cell_count})")
    for eq in equations:
        missing = [k for k in (eq.total, *eq.parts) if k not in cells]
        if missing:
            raise KeyError(f"equation names a cell that does not exist: {missing[0]!r}")
    order = {key: i for i, key in enumerate(cells)}
    primary = {k for k, v in cells.items() if is_small(v, min_cell_count)}
    rank = _ranker(cells, equations, order, cost)
    complementary = _no_lone_hidden_cell(cells, equations, primary, rank)
    pinned = _pinned(cells, equations, primary, complementary, min_cell_count)
    while pinned & primary:
        target = min(pinned & primary, key=order.__getitem__)
        candidates = _candidates(cells, equations, target, pinned, primary | complementary, rank)
        if not candidates:
            break  # every cell near the target is hidden already: nothing left to hide
        best = None
        for candidate in candidates[:LOOKAHEAD]:
            trial = _pinned(cells, equations, primary, complementary | {candidate}, min_cell_count)
            score = (target in trial, len(trial & primary))
            if best is None or score < best[0]:
                best = (score, candidate, trial)
            if not score[0] and score[1] < len(pinned & primary):
                break  # good enough: the target is safe and nothing got worse
        complementary.add(best[1])
        pinned = best[2]
    return Suppression(min_cell_count, frozenset(primary), frozenset(complementary))


def _no_lone_hidden_cell(
    cells: Mapping[Key, int],
    equations: Sequence[Equation],
    primary: set[Key],
    rank: Callable[[Key], tuple],
) -> set[Key]:
    """The usual first pass: no equation may hold exactly one hidden cell.

    While an equation has one hidden cell, hide its best other non-zero cell (parts
    before totals). Cheap, and it settles most cases; `propagate` then finds the rest
    (two small cells adding up to a revealing total, say).
    """
    hidden = set(primary)
    complementary: set[Key] = set()
    changed = True
    while changed:
        changed = False
        for eq in equations:
            keys = (eq.total, *eq.parts)
            if sum(k in hidden for k in keys) != 1:
                continue
            shown = [k for k in keys if k not in hidden and cells[k] != 0]
            if shown:
                extra = min(shown, key=rank)
                hidden.add(extra)
                complementary.add(extra)
                changed = True
    return complementary


# How many candidate cells are tried (each costs one propagation) before the best is taken.
LOOKAHEAD = 6


def _ranker(
    cells: Mapping[Key, int],
    equations: Sequence[Equation],
    order: Mapping[Key, int],
    cost: Callable[[Key], int] | None,
) -> Callable[[Key], tuple]:
    totals = {eq.total for eq in equations}

    def rank(key: Key) -> tuple:
        return (cost(key) if cost else 0, key in totals, cells[key], order[key])

    return rank


def _pinned(
    cells: Mapping[Key, int],
    equations: Sequence[Equation],
    primary: set[Key],
    complementary: set[Key],
    min_cell_count: int,
) -> set[Key]:
    """The hidden cells whose value a reader can work out exactly."""
    hidden = primary | complementary
    active = [eq for eq in equations if hidden & {eq.total, *eq.parts}]
    bounds = propagate(cells, active, primary, complementary, min_cell_count)
    return {k for k in hidden if bounds[k][0] == bounds[k][1]}


def _candidates(
    cells: Mapping[Key, int],
    equations: Sequence[Equation],
    target: Key,
    pinned: set[Key],
    hidden: set[Key],
    rank: Callable[[Key], tuple],
) -> list[Key]:
    """Shown non-zero cells of the equations around `target`, best first.

    "Around" is the target plus every pinned hidden cell linked to it through equations
    (a pinned neighbour is why the target is pinned: a chain of equal steps, say).
    """
    uses: dict[Key, list[Equation]] = defaultdict(list)
    for eq in equations:
        for key in (eq.total, *eq.parts):
            uses[key].append(eq)
    around, todo = {target}, [target]
    while todo:
        key = todo.pop()
        for eq in uses[key]:
            for other in (eq.total, *eq.parts):
                if other in pinned and other not in around:
                    around.add(other)
                    todo.append(other)
    found = {
        other
        for key in around
        for eq in uses[key]
        for other in (eq.total, *eq.parts)
        if other not in hidden and cells[other] != 0
    }
    return sorted(found, key=rank)


def propagate(
    cells: Mapping[Key, int],
    equations: Sequence[Equation],
    primary: Iterable[Key],
    complementary: Iterable[Key],
    min_cell_count: int = DEFAULT_MIN_CELL_COUNT,
) -> dict[Key, Bounds]:
    """What a reader can infer about each cell: [low, high] after all equations."""
    bounds: dict[Key, Bounds] = {k: (v, v) for k, v in cells.items()}
    for key in primary:
        bounds[key] = (1, min_cell_count - 1)
    for key in complementary:
        bounds[key] = (min_cell_count, math.inf)
    uses: dict[Key, list[int]] = defaultdict(list)
    for i, eq in enumerate(equations):
        for key in (eq.total, *eq.parts):
            uses[key].append(i)
    queue = list(range(len(equations)))
    queued = set(queue)
    while queue:
        i = queue.pop()
        queued.discard(i)
        for key in _tighten(equations[i], bounds):
            for j in uses[key]:
                if j not in queued:
                    queued.add(j)
                    queue.append(j)
    return bounds


def _tighten(eq: Equation, bounds: dict[Key, Bounds]) -> list[Key]:
    """Narrow every cell of one equation; return the keys whose bounds changed.

    total = sum(parts): the total lies in [sum of the parts' lows, sum of their highs]; a
    part in [total's low - the other parts' highs, total's high - the other parts' lows].
    Lows are finite; a high may be infinite, so infinite highs are counted, not summed.
    """
    parts_low = sum(bounds[p][0] for p in eq.parts)
    infinite = sum(math.isinf(bounds[p][1]) for p in eq.parts)
    finite_high = sum(bounds[p][1] for p in eq.parts if not math.isinf(bounds[p][1]))
    total_low, total_high = bounds[eq.total]
    wanted = [(eq.total, parts_low, math.inf if infinite else finite_high)]
    for p in eq.parts:
        low, high = bounds[p]
        if math.isinf(high):
            others_high = math.inf if infinite > 1 else finite_high
        else:
            others_high = math.inf if infinite else finite_high - high
        wanted.append((p, total_low - others_high, total_high - (parts_low - low)))
    changed = []
    for key, low, high in wanted:
        old_low, old_high = bounds[key]
        new = (max(old_low, low), min(old_high, high))
        if new != (old_low, old_high) and new[0] <= new[1]:
            bounds[key] = new
            changed.append(key)
    return changed
