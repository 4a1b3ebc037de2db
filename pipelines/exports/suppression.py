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
equation until nothing changes.

How cells are chosen: first the usual rule, no equation may hold exactly one hidden cell
(hide its cheapest other non-zero cell: the caller's `cost`, then parts before totals,
then the smaller count). Then, while the propagation still pins some `<11` cell to one
value (two `<11` cells adding up to 2, a chain of steps), a few cells of the equations
around it are tried and the one that leaves the fewest pinned is hidden. This protects
each cell against what the equations reveal, the usual standard for published tables;
it is not a full linear-programming audit.

Cells may also be given as ranges (`ranges`): a count the publisher itself only knows
as an interval, e.g. a network total over sites that hid a part (`pipelines.network`).
A range is published as it is, starts the propagation at its bounds, and is never
hidden or chosen as a complementary cell. `propagate_bounds` runs the same propagation
from any starting bounds.

Pure functions, no I/O: `pipelines.exports.feasibility` builds the cells and equations.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

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
    ranges: Mapping[Key, Bounds] | None = None,
) -> Suppression:
    """Primary suppression of small counts, then complementary suppression (see module).

    `cost(key)` ranks cells for complementary suppression: lower is hidden first (e.g.
    a site's cell before the overall one); ties go to parts before totals, then the
    smaller count, then the order of `cells`. `ranges` are cells known only as
    [low, high] (high may be infinite): published as ranges, never hidden; their value
    in `cells` is ignored.
    """
    if min_cell_count < 1:
        raise ValueError(f"min_cell_count must be >= 1 (got {min_cell_count})")
    table = _Table(cells, equations, ranges)
    totals = {t for t, _ in table.equations}
    ranks = [
        (cost(key) if cost else 0, i in totals, int(table.values[i]), i) for i, key in enumerate(table.keys)
    ]
    primary = {i for i, v in enumerate(table.values) if is_small(v, min_cell_count) and i not in table.ranged}
    complementary = _no_lone_hidden_cell(table, primary, ranks)
    pinned = table.pinned(primary, complementary, min_cell_count)
    while pinned & primary:
        target = min(pinned & primary)
        candidates = _candidates(table, target, pinned, primary | complementary | table.ranged, ranks)
        if not candidates:
            break  # every cell near the target is hidden already: nothing left to hide
        best = None
        for candidate in candidates[:LOOKAHEAD]:
            trial = table.pinned(primary, complementary | {candidate}, min_cell_count)
            score = (target in trial, len(trial & primary))
            if best is None or score < best[0]:
                best = (score, candidate, trial)
            if not score[0] and score[1] < len(pinned & primary):
                break  # good enough: the target is safe and fewer cells are pinned
        complementary.add(best[1])
        pinned = best[2]
    return Suppression(
        min_cell_count,
        frozenset(table.keys[i] for i in primary),
        frozenset(table.keys[i] for i in complementary),
    )


# How many candidate cells are tried (each costs one propagation) before the best is taken.
LOOKAHEAD = 4


def propagate(
    cells: Mapping[Key, int],
    equations: Sequence[Equation],
    primary: Iterable[Key],
    complementary: Iterable[Key],
    min_cell_count: int = DEFAULT_MIN_CELL_COUNT,
) -> dict[Key, Bounds]:
    """What a reader can infer about each cell: [low, high] after all equations."""
    table = _Table(cells, equations)
    low, high = table.bounds(
        {table.index[k] for k in primary}, {table.index[k] for k in complementary}, min_cell_count
    )
    return {key: (float(low[i]), float(high[i])) for i, key in enumerate(table.keys)}


def propagate_bounds(start: Mapping[Key, Bounds], equations: Sequence[Equation]) -> dict[Key, Bounds]:
    """Interval propagation from given bounds: [low, high] of each cell after all equations.

    `start` gives every cell's bounds before any equation (an exact count is [n, n], an
    unknown one [0, inf)). Raises ValueError when the bounds contradict the equations
    (some cell would have low > high): the counts cannot all be true at once.
    """
    table = _Table(dict.fromkeys(start, 0), equations, start)
    low, high = table.tighten(table.start_low.copy(), table.start_high.copy(), set(range(len(table.keys))))
    bad = np.flatnonzero(low > high)
    if bad.size:
        key = table.keys[int(bad[0])]
        raise ValueError(f"the counts contradict the equations at {key!r}: [{low[bad[0]]}, {high[bad[0]]}]")
    return {key: (float(low[i]), float(high[i])) for i, key in enumerate(table.keys)}


class _Table:
    """Cells by position, equations as (total, parts) positions: fast to propagate."""

    def __init__(
        self,
        cells: Mapping[Key, int],
        equations: Sequence[Equation],
        ranges: Mapping[Key, Bounds] | None = None,
    ) -> None:
        self.keys = list(cells)
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.values = [int(cells[k]) for k in self.keys]
        ranges = ranges or {}
        self.ranged = {self.index[k] for k in ranges}
        self.start_low = np.array([ranges[k][0] if k in ranges else cells[k] for k in self.keys], float)
        self.start_high = np.array([ranges[k][1] if k in ranges else cells[k] for k in self.keys], float)
        self.equations: list[tuple[int, tuple[int, ...]]] = []
        for eq in equations:
            missing = [k for k in (eq.total, *eq.parts) if k not in self.index]
            if missing:
                raise KeyError(f"equation names a cell that does not exist: {missing[0]!r}")
            self.equations.append((self.index[eq.total], tuple(self.index[p] for p in eq.parts)))
        self.uses: list[list[int]] = [[] for _ in self.keys]
        members: list[tuple[int, int, int]] = []
        for j, (total, parts) in enumerate(self.equations):
            for i in (total, *parts):
                self.uses[i].append(j)
            members += [(total, j, 1)] + [(p, j, -1) for p in parts]
        self.member_cell = np.array([m[0] for m in members], dtype=np.int64)
        self.member_eq = np.array([m[1] for m in members], dtype=np.int64)
        self.member_sign = np.array([m[2] for m in members], dtype=np.int64)
        self.values = np.array(self.values, dtype=np.int64)

    def bounds(
        self, primary: set[int], complementary: set[int], min_cell_count: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interval propagation to a fixed point; shown cells are exact.

        Shown cells start exact, ranges at their bounds, `<t` cells at [1, t - 1] and `*`
        cells at [t, inf).
        """
        low, high = self.start_low.copy(), self.start_high.copy()
        low[sorted(primary)], high[sorted(primary)] = 1, min_cell_count - 1
        low[sorted(complementary)], high[sorted(complementary)] = min_cell_count, np.inf
        return self.tighten(low, high, primary | complementary | self.ranged)

    def tighten(self, low: np.ndarray, high: np.ndarray, unknown: set[int]) -> tuple[np.ndarray, np.ndarray]:
        """Tighten `low` and `high` through every equation that holds an `unknown` cell.

        Every equation tightens every one of its cells at once (numpy), round after round,
        until no bound moves. Bounds only narrow and always hold the true counts, so this
        ends; it never stops early, which could miss a count a reader can work out.
        """
        active = np.zeros(len(self.equations), dtype=bool)
        for i in unknown:
            active[self.uses[i]] = True
        keep = active[self.member_eq]
        cell, eq, sign = self.member_cell[keep], self.member_eq[keep], self.member_sign[keep]
        size = len(self.equations)
        while True:
            # signed term of each member: its smallest and largest possible contribution
            term_min = np.where(sign > 0, low[cell], -high[cell])
            term_max = np.where(sign > 0, high[cell], -low[cell])
            rest_min = _rest(term_min, eq, size, -np.inf)
            rest_max = _rest(term_max, eq, size, np.inf)
            # sign * x = -(sum of the other signed terms)
            new_low, new_high = low.copy(), high.copy()
            np.maximum.at(new_low, cell, np.where(sign > 0, -rest_max, rest_min))
            np.minimum.at(new_high, cell, np.where(sign > 0, -rest_min, rest_max))
            if np.array_equal(new_low, low) and np.array_equal(new_high, high):
                return low, high
            if (new_low > new_high).any():
                return new_low, new_high  # contradictory counts: stop, the caller reports it
            low, high = new_low, new_high

    def pinned(self, primary: set[int], complementary: set[int], min_cell_count: int) -> set[int]:
        """The hidden cells whose value a reader can work out exactly."""
        low, high = self.bounds(primary, complementary, min_cell_count)
        return {i for i in primary | complementary if low[i] == high[i]}


def _rest(terms: np.ndarray, eq: np.ndarray, size: int, infinite: float) -> np.ndarray:
    """For each member: the sum of the other members' terms of its equation.

    A term may be infinite (a '*' cell has no upper bound); infinite terms are counted
    apart, so no infinity is ever subtracted from another.
    """
    is_inf = np.isinf(terms)
    finite = np.where(is_inf, 0.0, terms)
    total = np.bincount(eq, weights=finite, minlength=size)[eq]
    count = np.bincount(eq, weights=is_inf, minlength=size)[eq]
    others_inf = count - is_inf > 0
    return np.where(others_inf, infinite, total - finite)


def _no_lone_hidden_cell(table: _Table, primary: set[int], ranks: list[tuple]) -> set[int]:
    """The usual first pass: no equation may hold exactly one hidden cell.

    While an equation has one hidden cell, hide its best other non-zero cell. Cheap, and
    it settles most cases; the propagation then finds the rest.
    """
    hidden = set(primary) | table.ranged
    complementary: set[int] = set()
    changed = True
    while changed:
        changed = False
        for total, parts in table.equations:
            members = (total, *parts)
            lone = [i for i in members if i in hidden]
            if len(lone) != 1 or lone[0] in table.ranged:
                continue  # a range alone is published as a range: nothing to protect
            shown = [i for i in members if i not in hidden and table.values[i] != 0]
            if shown:
                extra = min(shown, key=ranks.__getitem__)
                hidden.add(extra)
                complementary.add(extra)
                changed = True
    return complementary


def _candidates(
    table: _Table, target: int, pinned: set[int], hidden: set[int], ranks: list[tuple]
) -> list[int]:
    """Shown non-zero cells of the equations around `target`, best first.

    "Around" is the target plus every pinned hidden cell linked to it through equations
    (a pinned neighbour is why the target is pinned: a chain of equal steps, say).
    """
    around, todo = {target}, [target]
    while todo:
        i = todo.pop()
        for j in table.uses[i]:
            total, parts = table.equations[j]
            for other in (total, *parts):
                if other in pinned and other not in around:
                    around.add(other)
                    todo.append(other)
    found = set()
    for i in around:
        for j in table.uses[i]:
            total, parts = table.equations[j]
            found.update(k for k in (total, *parts) if k not in hidden and table.values[k] != 0)
    return sorted(found, key=ranks.__getitem__)
