"""Small-count suppression: primary at the threshold's edges, complementary so that no
hidden count can be worked out from a total and the counts shown."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.exports.suppression import (
    COMPLEMENTARY,
    Equation,
    is_small,
    propagate,
    propagate_bounds,
    show_count,
    suppress,
)


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        pytest.param(0, 0, id="zero-is-shown"),
        pytest.param(1, "<11", id="one-is-hidden"),
        pytest.param(10, "<11", id="ten-is-hidden"),
        pytest.param(11, 11, id="eleven-is-shown"),
    ],
)
def test_counts_from_1_to_10_are_shown_as_less_than_11(count, shown):
    assert show_count(count) == shown
    result = suppress({"cell": count})
    assert result.show("cell", count) == shown


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        pytest.param(0, 0, id="zero"),
        pytest.param(1, "<5", id="one"),
        pytest.param(4, "<5", id="threshold-minus-one"),
        pytest.param(5, 5, id="threshold"),
    ],
)
def test_threshold_is_a_setting(count, shown):
    assert suppress({"cell": count}, min_cell_count=5).show("cell", count) == shown


def test_a_total_that_would_reveal_the_hidden_cell_hides_another_cell():
    # 30 = 5 + 25: with 30 and 25 shown, the 5 would be 30 - 25.
    cells = {"total": 30, "a": 5, "b": 25}
    result = suppress(cells, [Equation("total", ("a", "b"))])
    shown = {k: result.show(k, v) for k, v in cells.items()}
    assert shown == {"total": 30, "a": "<11", "b": COMPLEMENTARY}


def test_complementary_cell_is_the_smallest_other_part_not_the_total():
    cells = {"total": 100, "small": 3, "mid": 40, "big": 57}
    result = suppress(cells, [Equation("total", ("small", "mid", "big"))])
    assert result.complementary == {"mid"}


def test_zero_is_never_a_complementary_cell():
    # Hiding the 0 would not help: 20 - 0 - 5 still gives 15 for the other part.
    cells = {"total": 20, "a": 5, "zero": 0, "b": 15}
    result = suppress(cells, [Equation("total", ("a", "zero", "b"))])
    assert result.show("zero", 0) == 0
    assert result.complementary == {"b"}


def test_two_small_cells_that_must_both_be_10_are_protected():
    # 20 = 10 + 10: two '<11' cells adding up to 20 can only be 10 and 10.
    cells = {"total": 20, "a": 10, "b": 10}
    result = suppress(cells, [Equation("total", ("a", "b"))])
    assert result.complementary == {"total"}


def test_two_small_cells_with_a_revealing_total_of_2_are_protected():
    cells = {"total": 40, "a": 1, "b": 1, "c": 38}
    result = suppress(cells, [Equation("total", ("a", "b", "c"))])
    bounds = propagate(cells, [Equation("total", ("a", "b", "c"))], result.primary, result.complementary)
    assert bounds["a"][0] < bounds["a"][1]
    assert bounds["b"][0] < bounds["b"][1]


def test_funnel_chain_hides_remaining_so_removed_cannot_be_recovered():
    # remaining 100 -> 95 (5 removed) -> 95 (0 removed) -> 60 (35 removed)
    cells = {"r0": 100, "x1": 5, "r1": 95, "x2": 0, "r2": 95, "x3": 35, "r3": 60}
    equations = [
        Equation("r0", ("r1", "x1")),
        Equation("r1", ("r2", "x2")),
        Equation("r2", ("r3", "x3")),
    ]
    result = suppress(cells, equations)
    assert result.show("x1", 5) == "<11"
    assert "r1" in result.complementary
    bounds = propagate(cells, equations, result.primary, result.complementary)
    assert bounds["x1"][0] < bounds["x1"][1]


def test_sites_adding_up_to_the_overall_count_protect_a_small_site():
    cells = {"overall": 60, "site_a": 45, "site_b": 12, "site_c": 3}
    result = suppress(cells, [Equation("overall", ("site_a", "site_b", "site_c"))])
    assert result.show("site_c", 3) == "<11"
    assert result.complementary == {"site_b"}


def test_cost_decides_which_cell_is_hidden_first():
    cells = {"overall": 60, "site_a": 45, "site_b": 12, "site_c": 3}
    result = suppress(
        cells,
        [Equation("overall", ("site_a", "site_b", "site_c"))],
        cost=lambda key: 0 if key == "site_a" else 1,
    )
    assert result.complementary == {"site_a"}


def test_equation_naming_an_unknown_cell_is_refused():
    with pytest.raises(KeyError, match="missing"):
        suppress({"total": 3}, [Equation("total", ("missing",))])


def _consistent_values(cells, total_key, parts, result, cap):
    """Every assignment of the hidden cells a reader could not rule out (brute force)."""
    keys = [total_key, *parts]
    hidden = [k for k in keys if k in result.primary or k in result.complementary]
    ranges = []
    for key in keys:
        if key in result.primary:
            ranges.append(range(1, result.min_cell_count))
        elif key in result.complementary:
            ranges.append(range(result.min_cell_count, cap + 1))
        else:
            ranges.append(range(cells[key], cells[key] + 1))
    for values in itertools.product(*ranges):
        if values[0] == sum(values[1:]):
            yield dict(zip(keys, values, strict=True)), hidden


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.integers(min_value=0, max_value=25), min_size=2, max_size=4))
def test_no_small_count_can_be_worked_out_from_one_total(parts):
    """Brute force over what a reader could assume: each '<11' keeps two possible values."""
    keys = [f"p{i}" for i in range(len(parts))]
    cells = {"total": sum(parts), **dict(zip(keys, parts, strict=True))}
    result = suppress(cells, [Equation("total", tuple(keys))])
    seen: dict[str, set[int]] = {k: set() for k in result.primary}
    for values, _ in _consistent_values(cells, "total", keys, result, cap=sum(parts) + 1):
        for key in result.primary:
            seen[key].add(values[key])
    for key in result.primary:
        assert len(seen[key]) >= 2, (cells, result)
    assert all(is_small(cells[k]) for k in result.primary)


def test_a_range_is_never_hidden_and_alone_needs_no_complementary_cell():
    # a network total known only as 90..96, beside two shown parts: nothing to protect
    cells = {"total": 0, "a": 40, "b": 50}
    result = suppress(cells, [Equation("total", ("a", "b"))], ranges={"total": (90, 96)})
    assert result.primary == result.complementary == frozenset()


def test_a_small_cell_beside_a_range_is_protected_through_the_range():
    # 100 = small + part, part known as 95..96: the small count is 4..5, not pinned
    cells = {"total": 100, "small": 4, "part": 0}
    equations = [Equation("total", ("small", "part"))]
    assert suppress(cells, equations, ranges={"part": (95, 96)}).complementary == frozenset()
    # part known exactly as 96 would give the small count away: the total is hidden
    pinned = suppress(cells, equations, ranges={"part": (96, 96)})
    assert pinned.complementary == frozenset({"total"})


def test_bounds_propagate_from_any_start_and_contradictions_are_refused():
    equations = [Equation("total", ("a", "b"))]
    found = propagate_bounds({"total": (0, float("inf")), "a": (1, 10), "b": (40, 40)}, equations)
    assert found["total"] == (41, 50)
    with pytest.raises(ValueError, match="contradict"):
        propagate_bounds({"total": (30, 30), "a": (1, 10), "b": (40, 40)}, equations)
