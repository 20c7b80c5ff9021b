"""When checkout asks buyers to come back later (`domain.admission`), without servers."""

from __future__ import annotations

import pytest

from services.orders.domain.admission import (
    AdmissionRule,
    DeadlineWindow,
    SagaBacklog,
    late_order_deadlines,
    turns_away,
)

RULE = AdmissionRule(late_after_seconds=2, late_orders_allowed=25, horizon_seconds=60,
                     reading_fresh_for_seconds=5)


@pytest.mark.parametrize(("late", "turned_away"), [(0, False), (24, False), (25, True),
                                                   (400, True)])
def test_checkout_turns_buyers_away_from_the_allowed_number_of_late_orders(
        late: int, turned_away: bool) -> None:
    assert turns_away(RULE, SagaBacklog(late_orders=late, measured_at=100.0), now=101.0) \
        is turned_away


def test_no_reading_or_a_stale_one_turns_no_one_away() -> None:
    """The reader cannot reach the database: checkout is not refused on an old belief."""
    behind = SagaBacklog(late_orders=1_000, measured_at=100.0)
    assert turns_away(RULE, None, now=100.0) is False
    assert turns_away(RULE, behind, now=105.0) is True
    assert turns_away(RULE, behind, now=105.1) is False


def test_late_orders_are_found_by_how_near_their_stock_answer_deadline_is() -> None:
    """Placed 2 to 60 s ago, with a 120 s stock-answer timeout: due in 60 to 118 s."""
    assert late_order_deadlines(RULE, 120).stock_answer == DeadlineWindow(
        due_after_seconds=60, due_before_seconds=118)
    # A timeout shorter than the horizon: an overdue deadline not yet fired still counts.
    assert late_order_deadlines(RULE, 30).stock_answer == DeadlineWindow(
        due_after_seconds=-30, due_before_seconds=28)


def test_late_payments_are_authorisations_overdue_by_more_than_late() -> None:
    assert late_order_deadlines(RULE, 120).authorisation == DeadlineWindow(
        due_after_seconds=-60, due_before_seconds=-2)


def test_no_order_is_late_for_stock_when_the_stock_answer_timeout_cancels_it_first() -> None:
    assert late_order_deadlines(RULE, 2).stock_answer is None
    assert late_order_deadlines(RULE, 1.5).stock_answer is None


@pytest.mark.parametrize("bad", [
    {"late_after_seconds": 0, "late_orders_allowed": 1},
    {"late_after_seconds": 60, "late_orders_allowed": 1},
    {"late_after_seconds": 2, "late_orders_allowed": 0},
])
def test_a_rule_that_could_never_or_always_refuse_is_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"at least|positive"):
        AdmissionRule(**bad)  # type: ignore[arg-type]
