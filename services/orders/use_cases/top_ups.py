"""Gift-token top-ups, as persisted payment intents: live credits the wallet when it hears
`wallet.topped_up`.

The provider is never called inside a database transaction. The intent (amount, method, a
recovery deadline) is committed first; then the provider authorizes and captures with keys
derived from the intent, and one transaction records the outcome with its event. A crash
anywhere in between leaves the intent open and its deadline due: whichever instance picks it
up asks the provider again with the same keys, which answers with the first outcome. So a
top-up is neither lost after the charge nor charged twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.api import field_problem
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.events.schemas.orders import WalletToppedUp
from libs.ids import new_id
from libs.outbox import enqueue
from libs.retry import backoff
from services.orders.adapters import repository, top_ups_repository
from services.orders.domain.age_rules import (
    AgeRuleViolation,
    check_minor_spending_cap,
    is_adult,
)
from services.orders.domain.payments import AuthorizationOutcome, PaymentProvider, ProviderTimeout
from services.orders.settings import OrdersSettings
from services.orders.use_cases.checkout import age_rule_refusal

TOP_UP_SETTLE = "top_up_settle"
"""The deadline that settles an intent its request did not (a crash, a provider timeout)."""


@dataclass(frozen=True)
class TopUpRequest:
    buyer_id: str
    tokens: int
    currency: str
    payment_method: str
    idempotency_key: str | None
    birthdate: date | None = None
    """The verified birthdate: a buyer under 18 tops up within the monthly cap."""


@dataclass(frozen=True)
class TopUp:
    topup_id: UUID
    status: str
    """`succeeded`, or `pending` while the provider's answer is not known yet."""
    tokens: int
    amount_minor: int
    currency: str
    paid_at: datetime | None


async def buy_tokens(pool: asyncpg.Pool, provider: PaymentProvider, settings: OrdersSettings,
                     request: TopUpRequest) -> TopUp:
    """Opens the intent (once per idempotency key) and settles it; a refused payment is a 402."""
    unit = settings.token_price_minor.get(request.currency)
    if unit is None:
        raise field_problem("currency", f"Tokens are not sold in {request.currency}.",
                            "unsupported_currency")
    card = await provider.describe(request.payment_method)
    if card is None:
        raise field_problem("payment.method", "The payment provider does not know this "
                            "payment method.", "unknown_payment_method")
    async with transaction(pool) as conn:
        await _within_minor_cap(conn, settings, request, unit * request.tokens)
        intent_id = await top_ups_repository.open_intent(
            conn, new_id(), buyer_id=request.buyer_id, tokens=request.tokens,
            amount_minor=unit * request.tokens, currency=request.currency,
            payment_method=request.payment_method, card_last4=card.last4,
            idempotency_key=request.idempotency_key)
        if intent_id is None:
            raise Problem(422, "Idempotency key reused", "This Idempotency-Key was used with "
                          "a different top-up.", errors=[{
                              "field": "header.Idempotency-Key", "code": "idempotency_key_reused",
                              "message": "reused with a different body"}])
        await deadlines.schedule(conn, intent_id, TOP_UP_SETTLE, datetime.now(UTC) + timedelta(
            seconds=settings.top_up_recovery_seconds))
    top_up = await settle(pool, provider, settings, intent_id)
    if top_up is None:
        failure = await top_ups_repository.failure(pool, intent_id)
        raise Problem(402, "Payment refused", f"The payment was not accepted ({failure}).",
                      errors=[{"field": "payment.method", "message": failure, "code": failure}])
    return top_up


async def _within_minor_cap(conn: asyncpg.Connection, settings: OrdersSettings,
                            request: TopUpRequest, amount_minor: int) -> None:
    """Tokens pay for gifts, so a minor's top-ups count against the same monthly cap as
    their orders."""
    today = datetime.now(UTC).date()
    if request.birthdate is None or is_adult(request.birthdate, today):
        return
    await repository.lock_minor_spend(conn, request.buyer_id)
    try:
        check_minor_spending_cap(
            request.birthdate, today, currency=request.currency, this_order=amount_minor,
            spent_this_month=await repository.minor_spend_this_month(
                conn, request.buyer_id, request.currency),
            cap=settings.minor_monthly_cap_minor.get(request.currency))
    except AgeRuleViolation as exc:
        raise age_rule_refusal(exc, field="tokens") from exc


async def settle(pool: asyncpg.Pool, provider: PaymentProvider, settings: OrdersSettings,
                 intent_id: UUID) -> TopUp | None:
    """Asks the provider (idempotently) and records the outcome once; None when refused."""
    intent = await top_ups_repository.intent(pool, intent_id)
    assert intent is not None
    if intent["status"] == "open":
        authorization = None
        for _ in range(settings.payment_attempts):
            try:
                authorization = await provider.authorize(
                    idempotency_key=f"topup:{intent_id}", amount_minor=intent["amount_minor"],
                    currency=intent["currency"], payment_method=intent["payment_method"])
                break
            except ProviderTimeout:
                continue
        if authorization is None:
            return _top_up(intent)  # still open: its deadline asks again later
        if authorization.outcome is AuthorizationOutcome.AUTHORIZED:
            await provider.capture(idempotency_key=f"topup-capture:{intent_id}",
                                   payment_id=authorization.payment_id,
                                   amount_minor=intent["amount_minor"])
        async with transaction(pool) as conn:
            intent = await _record_outcome(conn, intent_id, authorization.payment_id,
                                           authorization.outcome)
    return None if intent["status"] == "failed" else _top_up(intent)


async def _record_outcome(conn: asyncpg.Connection, intent_id: UUID, payment_id: UUID,
                          outcome: AuthorizationOutcome) -> asyncpg.Record:
    """Exactly once per intent, however many settlers raced to the provider."""
    intent = await top_ups_repository.intent(conn, intent_id, for_update=True)
    assert intent is not None
    if intent["status"] != "open":
        return intent
    await deadlines.cancel(conn, intent_id, TOP_UP_SETTLE)
    if outcome is not AuthorizationOutcome.AUTHORIZED:
        return await top_ups_repository.fail(conn, intent_id, outcome.value)
    paid = await top_ups_repository.succeed(conn, intent_id, payment_id)
    await enqueue(conn, "orders", WalletToppedUp(
        topup_id=intent_id, buyer_id=paid["buyer_id"], tokens=paid["tokens"],
        amount_minor=paid["amount_minor"], currency=paid["currency"], paid_at=paid["paid_at"]))
    return paid


def _top_up(intent: asyncpg.Record) -> TopUp:
    return TopUp(topup_id=intent["id"],
                 status="succeeded" if intent["status"] == "succeeded" else "pending",
                 tokens=intent["tokens"], amount_minor=intent["amount_minor"],
                 currency=intent["currency"], paid_at=intent["paid_at"])


async def _settle_when_due(provider: PaymentProvider, settings: OrdersSettings,
                           pool: asyncpg.Pool, deadline: deadlines.Deadline) -> None:
    settled = await settle(pool, provider, settings, UUID(deadline.key))
    async with transaction(pool) as conn:
        if settled is not None and settled.status == "pending":
            await deadlines.retry(conn, deadline, backoff(deadline.attempts, cap=60),
                                  "the payment provider did not answer")
        else:
            await deadlines.complete(conn, deadline)


def deadline_kinds(provider: PaymentProvider,
                   settings: OrdersSettings) -> list[deadlines.DeadlineKind]:
    return [deadlines.DeadlineKind(TOP_UP_SETTLE, fire_outside_transaction=partial(
        _settle_when_due, provider, settings))]
