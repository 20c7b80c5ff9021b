"""Support's rules without servers: business-hours arithmetic, SLA targets, ticket states,
health scores, dispute eligibility and defaults, routing, and what the responder says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from libs.domain_errors import FieldError, StateConflict
from services.support.domain import disputes, health, responder, routing
from services.support.domain.calendars import BusinessCalendar, CalendarError, parse_clock
from services.support.domain.sla import Clock, Policy, Priority, SlaClockwork, support_tier
from services.support.domain.tickets import (
    Status,
    TicketState,
    after_agent_reply,
    after_requester_message,
    asks_for_person,
)

WEEKDAYS_8_TO_20 = BusinessCalendar("GB", "Europe/London", frozenset({1, 2, 3, 4, 5}), 480, 1200,
                                    holidays=frozenset({date(2026, 12, 25)}))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- business hours --------------------------------------------------------------------------

def test_time_after_closing_on_friday_is_due_on_monday() -> None:
    friday_6pm = utc(2026, 11, 27, 18)  # London is on UTC in November
    assert WEEKDAYS_8_TO_20.add(friday_6pm, timedelta(hours=4)) == utc(2026, 11, 30, 10)


def test_a_holiday_counts_as_a_closed_day() -> None:
    christmas_eve_7pm = utc(2026, 12, 24, 19)
    assert WEEKDAYS_8_TO_20.add(christmas_eve_7pm, timedelta(hours=2)) == utc(2026, 12, 28, 9)


def test_a_clock_started_before_opening_starts_at_opening() -> None:
    assert WEEKDAYS_8_TO_20.add(utc(2026, 11, 30, 5), timedelta(minutes=30)) == \
        utc(2026, 11, 30, 8, 30)


def test_business_hours_follow_daylight_saving_time() -> None:
    # 29 March 2027 (Monday): London is on BST, so 08:00 local is 07:00 UTC.
    friday = utc(2027, 3, 26, 19)  # 19:00 GMT, an hour before closing
    assert WEEKDAYS_8_TO_20.add(friday, timedelta(hours=2)) == utc(2027, 3, 29, 8)


@pytest.mark.parametrize("hours", [0.5, 3, 12, 40, 100])
def test_time_between_is_what_was_added(hours: float) -> None:
    start = utc(2026, 11, 27, 15, 17)
    span = timedelta(hours=hours)
    assert WEEKDAYS_8_TO_20.between(start, WEEKDAYS_8_TO_20.add(start, span)) == span


def test_a_desk_open_around_the_clock_adds_plain_time() -> None:
    always = BusinessCalendar("GB", "Europe/London", frozenset(range(1, 8)), 0, 1440)
    start = utc(2026, 11, 28, 23, 59)
    assert always.add(start, timedelta(minutes=5)) == start + timedelta(minutes=5)
    assert always.is_open(start)


def test_a_calendar_that_cannot_work_is_refused_naming_the_field() -> None:
    with pytest.raises(CalendarError) as no_days:
        BusinessCalendar("GB", "Europe/London", frozenset(), 480, 1200)
    assert no_days.value.field == "working_days"
    with pytest.raises(CalendarError) as backwards:
        BusinessCalendar("GB", "Europe/London", frozenset({1}), 1200, 480)
    assert backwards.value.field == "closes"
    with pytest.raises(CalendarError) as zone:
        BusinessCalendar("GB", "Mars/Olympus", frozenset({1}), 480, 1200)
    assert zone.value.field == "timezone"
    assert parse_clock("24:00", "closes") == 1440
    with pytest.raises(CalendarError):
        parse_clock("25:00", "closes")


# --- SLA targets -----------------------------------------------------------------------------

def test_the_warning_comes_when_a_quarter_of_the_target_is_left() -> None:
    work = SlaClockwork(WEEKDAYS_8_TO_20, timedelta(minutes=1), 0.25)
    policy = Policy("standard", Priority.NORMAL, 240, 480, 2880)
    target = work.target(Clock.FIRST_REPLY, policy, utc(2026, 11, 30, 9))
    assert target.due_at == utc(2026, 11, 30, 13)
    assert target.warn_at == utc(2026, 11, 30, 12)


def test_escalation_raises_priority_one_step_up_to_urgent() -> None:
    assert [p.raised() for p in Priority] == [Priority.NORMAL, Priority.HIGH, Priority.URGENT,
                                               Priority.URGENT]


def test_a_sellers_tier_follows_its_recent_orders() -> None:
    thresholds = {"growing": 100, "top": 1000}
    assert [support_tier(n, thresholds) for n in (0, 99, 100, 999, 5000)] == \
        ["standard", "standard", "growing", "growing", "top"]


# --- ticket states ---------------------------------------------------------------------------

def test_a_requester_reopens_a_solved_ticket_only_within_its_window() -> None:
    now = utc(2026, 11, 30, 9)
    solved = TicketState(Status.SOLVED, now + timedelta(days=1))
    assert after_requester_message(solved, now) is Status.OPEN
    with pytest.raises(StateConflict) as late:
        after_requester_message(TicketState(Status.SOLVED, now - timedelta(seconds=1)), now)
    assert late.value.field == "body"
    with pytest.raises(StateConflict):
        after_requester_message(TicketState(Status.CLOSED, None), now)
    assert after_requester_message(TicketState(Status.PENDING_REQUESTER, None), now) \
        is Status.OPEN


def test_an_agent_reply_may_wait_on_the_requester_but_not_on_a_solved_ticket() -> None:
    assert after_agent_reply(TicketState(Status.NEW, None), await_requester=True) \
        is Status.PENDING_REQUESTER
    with pytest.raises(StateConflict):
        after_agent_reply(TicketState(Status.SOLVED, None), await_requester=False)


@pytest.mark.parametrize("text,wanted", [
    ("Please let me talk to a person", True), ("I want a human", True),
    ("Kann ich mit einem Mitarbeiter sprechen?", True), ("Where is my parcel?", False),
    ("The personalised mug arrived broken", False)])
def test_asking_for_a_person_is_recognised(text: str, wanted: bool) -> None:
    assert asks_for_person(text) is wanted


# --- account health --------------------------------------------------------------------------

RULES = health.HealthRules(window=timedelta(days=30), warning_below=80, suspension_below=60)


def test_the_score_counts_unforgiven_violations_within_the_window() -> None:
    now = utc(2026, 11, 30)
    late = health.Violation(health.ViolationKind.LATE_SHIPMENT, 10, now - timedelta(days=1))
    old = health.Violation(health.ViolationKind.LATE_SHIPMENT, 10, now - timedelta(days=31))
    forgiven = health.Violation(health.ViolationKind.DISPUTE_LOST, 10, now, forgiven=True)
    assert RULES.score([late, old, forgiven], now) == 90
    assert RULES.score([late] * 20, now) == 0


def test_falling_scores_warn_once_then_suspend_and_recovery_lifts_the_warning() -> None:
    assert health.verdict(RULES, 75, warned=False, suspended=False) is health.Verdict.WARN
    assert health.verdict(RULES, 70, warned=True, suspended=False) is health.Verdict.NONE
    assert health.verdict(RULES, 55, warned=True, suspended=False) is health.Verdict.SUSPEND
    assert health.verdict(RULES, 40, warned=True, suspended=True) is health.Verdict.NONE
    assert health.verdict(RULES, 90, warned=True, suspended=False) is health.Verdict.RECOVERED


def test_warehouse_delays_never_count_against_the_seller() -> None:
    assert health.late_promise_kind("ship_by", "fbt") is None
    assert health.late_promise_kind("ship_by", "seller") is health.ViolationKind.LATE_SHIPMENT
    assert health.late_promise_kind("deliver_by", "mixed") is health.ViolationKind.LATE_DELIVERY


# --- disputes --------------------------------------------------------------------------------

WINDOWS = disputes.DisputeWindows(timedelta(hours=72), timedelta(hours=72), timedelta(hours=48),
                                  timedelta(days=30))


def facts(**overrides: object) -> disputes.OrderFacts:
    values: dict[str, object] = {"status": "shipped", "delivered_at": None,
                                 "deliver_by": utc(2026, 11, 30), "lines": {"a": 2}}
    values.update(overrides)
    return disputes.OrderFacts(**values)  # type: ignore[arg-type]


def test_not_received_needs_the_order_overdue_or_delivered() -> None:
    with pytest.raises(StateConflict) as early:
        disputes.check_can_open(disputes.Reason.NOT_RECEIVED, facts(), utc(2026, 11, 29), WINDOWS)
    assert early.value.field == "reason"
    disputes.check_can_open(disputes.Reason.NOT_RECEIVED, facts(), utc(2026, 12, 1), WINDOWS)
    disputes.check_can_open(disputes.Reason.NOT_RECEIVED,
                            facts(delivered_at=utc(2026, 11, 28)), utc(2026, 11, 29), WINDOWS)


def test_what_arrived_is_disputed_after_delivery_within_the_window() -> None:
    with pytest.raises(StateConflict):
        disputes.check_can_open(disputes.Reason.DAMAGED, facts(), utc(2026, 12, 1), WINDOWS)
    with pytest.raises(StateConflict) as old:
        disputes.check_can_open(disputes.Reason.DAMAGED, facts(delivered_at=utc(2026, 10, 1)),
                                utc(2026, 12, 1), WINDOWS)
    assert old.value.field == "order_id"
    with pytest.raises(StateConflict):
        disputes.check_can_open(disputes.Reason.UNAUTHORISED, facts(status="cancelled"),
                                utc(2026, 12, 1), WINDOWS)


def test_disputed_lines_are_the_orders_own() -> None:
    assert disputes.disputed_lines({"a": 2, "b": 1}, None) == {"a": 2, "b": 1}
    assert disputes.disputed_lines({"a": 2}, {"a": 1}) == {"a": 1}
    with pytest.raises(FieldError) as more:
        disputes.disputed_lines({"a": 2}, {"a": 3})
    assert more.value.field == "lines"


def test_silence_decides_and_only_losing_counts_against_the_seller() -> None:
    assert disputes.default_outcome(disputes.DisputeStatus.AWAITING_SELLER) \
        is disputes.Outcome.REFUND_BUYER
    assert disputes.default_outcome(disputes.DisputeStatus.SELLER_REJECTED) \
        is disputes.Outcome.REJECT_CLAIM
    assert disputes.default_outcome(disputes.DisputeStatus.UNDER_REVIEW) is None
    assert disputes.seller_lost(disputes.Outcome.REFUND_BUYER, "deadline")
    assert not disputes.seller_lost(disputes.Outcome.REFUND_BUYER, "seller")
    assert not disputes.seller_lost(disputes.Outcome.REJECT_CLAIM, "agent:ann")


# --- routing ---------------------------------------------------------------------------------

def queue(name: str, category: str | None, market: str | None, lead: bool = False,
          strategy: str = "round_robin") -> routing.Queue:
    return routing.Queue(uuid4(), name, category, market, lead, strategy, utc(2026, 1, 1))


def test_the_most_specific_queue_takes_the_ticket() -> None:
    queues = [queue("General", None, None), queue("GB", None, "GB"),
              queue("Orders", "order", None), queue("Leads", None, None, lead=True)]
    assert routing.queue_for(queues, "order", "GB").name == "Orders"  # type: ignore[union-attr]
    assert routing.queue_for(queues, "listing", "GB").name == "GB"  # type: ignore[union-attr]
    assert routing.queue_for(queues, "listing", "DE").name == "General"  # type: ignore[union-attr]
    assert routing.queue_for(queues, "order", "GB", lead=True).name == "Leads"  # type: ignore


def test_round_robin_and_skills_pick_agents() -> None:
    members = [routing.Member("ann", frozenset({"de"}), utc(2026, 1, 2)),
               routing.Member("bob", frozenset(), None),
               routing.Member("cat", frozenset({"order", "en"}), utc(2026, 1, 3))]
    plain = queue("q", None, None)
    assert routing.agent_for(plain, members, category="order", language="en",
                             market="GB") == "bob"
    skilled = queue("q", None, None, strategy="skills")
    assert routing.agent_for(skilled, members, category="order", language="en",
                             market="GB") == "cat"
    assert routing.agent_for(plain, [], category="order", language="en", market="GB") is None


# --- the responder ---------------------------------------------------------------------------

NOW = utc(2026, 11, 30, 12)
LATE = responder.OrderContext(
    order_id=uuid4(), status="confirmed", method="seller", placed_at=NOW - timedelta(days=3),
    ship_by=NOW - timedelta(hours=2), deliver_by=NOW + timedelta(days=2), shipped_at=None,
    delivered_at=None, return_window_ends_at=None, cancelled_reason=None, refunded_minor=0,
    currency="GBP")
ARTICLE = responder.Article(uuid4(), "Ship-by dates and late shipments",
                            "Orders you ship yourself must ship within 2 days.", "shipment", 0.3)


def question(**overrides: object) -> responder.Question:
    values: dict[str, object] = {
        "requester_kind": "seller", "category": "shipment", "text": "late order",
        "wants_person": False, "first_reply_due_at": NOW + timedelta(hours=4),
        "orders": [LATE], "account": responder.AccountContext(90, "at_risk")}
    values.update(overrides)
    return responder.Question(**values)  # type: ignore[arg-type]


def test_the_answer_quotes_the_orders_real_state_and_deadline() -> None:
    reply = responder.answer(question(), [ARTICLE], NOW, threshold=0.5)
    assert str(LATE.order_id) in reply.body
    assert "missed its ship-by time (30 Nov 2026, 10:00 UTC)" in reply.body
    assert "your score is 90/100" in reply.body
    assert "Ship-by dates and late shipments" in reply.body
    assert not reply.hand_over and reply.confidence >= 0.5
    assert reply.article_ids == [ARTICLE.id]


def test_unsure_or_asked_for_a_person_it_hands_over_and_says_when() -> None:
    unsure = responder.answer(question(orders=[], account=None, category="other"), [], NOW, 0.5)
    assert unsure.hand_over and unsure.confidence < 0.5
    assert "A person will reply by 30 Nov 2026, 16:00 UTC" in unsure.body
    asked = responder.answer(question(wants_person=True), [ARTICLE], NOW, 0.5)
    assert asked.hand_over and "You asked for a person" in asked.body


def test_an_order_fulfillment_opened_is_paid_even_before_orders_confirmation_arrives() -> None:
    """Fulfillment's event and orders' confirmation come on different topics, in any order."""
    early = responder.OrderContext(**{**LATE.__dict__, "status": "placed"})
    assert "paid and waiting to ship" in responder.describe_order(early, "seller", None, NOW)
    unpaid = responder.OrderContext(**{**LATE.__dict__, "status": "placed", "method": None,
                                       "ship_by": None})
    assert "waiting for its payment" in responder.describe_order(unpaid, "seller", None, NOW)


def test_a_buyer_with_an_overdue_order_is_told_about_disputes() -> None:
    overdue = responder.OrderContext(**{**LATE.__dict__, "shipped_at": NOW - timedelta(days=4),
                                        "deliver_by": NOW - timedelta(hours=1)})
    reply = responder.answer(question(requester_kind="buyer", orders=[overdue], account=None),
                             [], NOW, 0.5)
    assert "It is late" in reply.body and "not received" in reply.body
