"""Seller account health: violations recorded from events, the score, warnings, suspension
(which catalog carries out when it hears `account.suspended`), and appeals decided by agents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.domain_errors import StateConflict
from libs.events.schemas.support import (
    AccountReinstated,
    AccountSuspended,
    AccountViolationRecorded,
    AccountWarned,
)
from libs.ids import new_id
from libs.outbox import enqueue
from services.support.adapters import seller_accounts_repository as accounts
from services.support.domain.health import POINTS, HealthRules, Verdict, ViolationKind, verdict
from services.support.domain.seller_accounts import SellerAccount, Standing
from services.support.settings import SupportSettings

SOURCE = "support"


async def record_violation(conn: asyncpg.Connection, settings: SupportSettings, seller_id: UUID,
                           kind: ViolationKind, reference: str, occurred_at: datetime) -> bool:
    """Counts a violation once per (seller, kind, reference); False when already counted or the
    seller is unknown to support."""
    account = await accounts.get(conn, seller_id, for_update=True)
    if account is None:
        return False
    violation_id = new_id()
    if not await accounts.add_violation(conn, violation_id=violation_id, seller_id=seller_id,
                                        kind=kind, points=POINTS[kind], reference=reference,
                                        occurred_at=occurred_at):
        return False
    rules = settings.health_rules()
    at = datetime.now(UTC)
    score = await current_score(conn, rules, seller_id, at)
    await enqueue(conn, SOURCE, AccountViolationRecorded(
        seller_id=seller_id, violation_id=violation_id, kind=kind.value, points=POINTS[kind],
        reference=reference, score=score, occurred_at=occurred_at))
    await _apply(conn, rules, account, score, at)
    return True


async def current_score(conn: asyncpg.Connection | asyncpg.Pool, rules: HealthRules,
                        seller_id: UUID, at: datetime) -> int:
    return rules.score(await accounts.violations(conn, seller_id, at - rules.window), at)


async def _apply(conn: asyncpg.Connection, rules: HealthRules, account: SellerAccount,
                 score: int, at: datetime) -> None:
    outcome = verdict(rules, score, warned=account.warned_at is not None,
                      suspended=account.standing is Standing.RESTRICTED)
    if outcome is Verdict.WARN:
        account = account.warned(score, at)
        await enqueue(conn, SOURCE, AccountWarned(
            seller_id=account.seller_id, score=score, warning_below=rules.warning_below,
            suspension_below=rules.suspension_below, warned_at=at))
    elif outcome is Verdict.SUSPEND:
        reason = (f"account health score {score} is below {rules.suspension_below}; "
                  "appeal through support")
        account = account.suspended(score, reason, "support", at)
        await enqueue(conn, SOURCE, AccountSuspended(seller_id=account.seller_id, score=score,
                                                     reason=reason, suspended_at=at))
    elif outcome is Verdict.RECOVERED:
        account = account.recovered(score)
    else:
        account = replace(account, health_score=score)
    await accounts.save_health(conn, account)


def check_can_appeal(account: SellerAccount) -> None:
    if account.standing is Standing.GOOD:
        raise StateConflict("seller_id", "the account is in good standing: nothing to appeal")


async def grant_appeal(conn: asyncpg.Connection, settings: SupportSettings, seller_id: UUID,
                       ticket_id: UUID, reason: str) -> SellerAccount:
    """Forgives the violations so far and reinstates the seller (catalog lifts a suspension it
    applied for support)."""
    account = await accounts.get(conn, seller_id, for_update=True)
    if account is None:
        raise LookupError(seller_id)
    at = datetime.now(UTC)
    await accounts.forgive(conn, seller_id, at)
    score = await current_score(conn, settings.health_rules(), seller_id, at)
    account = account.reinstated(score)
    await accounts.save_health(conn, account)
    await enqueue(conn, SOURCE, AccountReinstated(seller_id=seller_id, appeal_ticket_id=ticket_id,
                                                  reason=reason, reinstated_at=at))
    return account


async def on_catalog_standing(conn: asyncpg.Connection, seller_id: UUID, status: str,
                              reason: str | None) -> None:
    """Catalog's own decisions (an operator's suspension or reinstatement) as support sees them."""
    account = await accounts.get(conn, seller_id, for_update=True)
    if account is None:
        return
    await accounts.set_catalog_status(conn, seller_id, status)
    at = datetime.now(UTC)
    if status == "suspended" and account.standing is not Standing.RESTRICTED:
        account = account.suspended(account.health_score, reason or "suspended by an operator",
                                    "operator", at)
        await accounts.save_health(conn, account)
    elif status == "verified" and account.standing is Standing.RESTRICTED:
        await accounts.save_health(conn, account.reinstated(account.health_score))


def view(account: SellerAccount, rules: HealthRules) -> dict[str, Any]:
    return {**account.__dict__, "standing": account.standing.value,
            "warning_below": rules.warning_below, "suspension_below": rules.suspension_below,
            "window_days": rules.window.total_seconds() / 86_400}
