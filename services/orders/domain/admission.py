"""When checkout asks a buyer to come back in a moment: when the saga has fallen behind.

Checkout only starts an order; catalog's stock answer and the payment decide it. Offered more
checkouts than the saga can decide, a shop that takes every one queues them all: each buyer
waits longer for the outcome (93 s at p99 when offered about three times what this machine
decides), and the work in flight slows the work that would decide it. So orders looks at the
saga's backlog and, once it is behind, answers cart writes and checkouts 503 with Retry-After
before any other work: nothing is placed, charged or held, and the buyer's app retries with the
same Idempotency-Key.
The orders it did take stay decided within seconds.

The signal is the orders still waiting, after `late_after_seconds` (normally well under one),
for catalog's stock answer or for their payment to be tried. Only waits that began within
`horizon_seconds` count: older ones are an outage's leftovers, which their deadlines settle,
not a sign of load. A reading that is too old (the reader cannot reach the database) turns
no one away: checkout then fails on its own if the database is really gone.
"""

from __future__ import annotations

from dataclasses import dataclass

RETRY_AFTER_SECONDS = 2
"""What a turned-away buyer is told to wait: about the time the backlog takes to drain."""


@dataclass(frozen=True)
class AdmissionRule:
    late_after_seconds: float
    """An order waiting longer than this for its stock answer or its payment is late."""
    late_orders_allowed: int
    """Checkout turns buyers away while at least this many orders are late."""
    horizon_seconds: float = 60.0
    """Orders placed longer ago than this do not count (see the module docstring)."""
    reading_fresh_for_seconds: float = 5.0
    """A backlog reading older than this is ignored."""

    def __post_init__(self) -> None:
        if not 0 < self.late_after_seconds < self.horizon_seconds:
            raise ValueError("late_after_seconds is positive and shorter than the horizon")
        if self.late_orders_allowed < 1:
            raise ValueError("late_orders_allowed is at least 1")


@dataclass(frozen=True)
class SagaBacklog:
    late_orders: int
    """Orders placed within the horizon still waiting for their stock answer or payment, past
    late."""
    measured_at: float
    """When it was read (a monotonic clock)."""


@dataclass(frozen=True)
class DeadlineWindow:
    """Pending deadlines due between these two offsets from now, in seconds."""

    due_after_seconds: float
    due_before_seconds: float


@dataclass(frozen=True)
class LateOrderDeadlines:
    """Where late orders' deadlines are, for the two waits of the saga.

    - Waiting for stock: an order's stock-answer deadline is due `stock_answer_timeout` after
      it was placed, so an order that has waited `w` seconds has it `timeout - w` seconds away.
    - Waiting for its payment: the authorisation is a deadline due as soon as the stock is
      reserved, so one overdue by more than `late_after_seconds` is late. (A provider timeout
      moves it into the future, to its retry: a slow provider is not load.)
    """

    stock_answer: DeadlineWindow | None
    """None when the stock-answer timeout is too short for an order to be late first."""
    authorisation: DeadlineWindow


def late_order_deadlines(rule: AdmissionRule,
                         stock_answer_timeout_seconds: float) -> LateOrderDeadlines:
    """The windows in which late orders' deadlines are due."""
    stock = None
    if stock_answer_timeout_seconds > rule.late_after_seconds:
        stock = DeadlineWindow(
            due_after_seconds=stock_answer_timeout_seconds - rule.horizon_seconds,
            due_before_seconds=stock_answer_timeout_seconds - rule.late_after_seconds)
    return LateOrderDeadlines(stock_answer=stock, authorisation=DeadlineWindow(
        due_after_seconds=-rule.horizon_seconds, due_before_seconds=-rule.late_after_seconds))


def turns_away(rule: AdmissionRule, backlog: SagaBacklog | None, now: float) -> bool:
    """Whether a checkout starting `now` is asked to come back later."""
    if backlog is None or now - backlog.measured_at > rule.reading_fresh_for_seconds:
        return False
    return backlog.late_orders >= rule.late_orders_allowed
