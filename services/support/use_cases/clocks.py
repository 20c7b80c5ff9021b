"""SLA clocks on tickets, kept as deadlines (`libs.deadlines`) and as data on the ticket.

Each clock is a deadline keyed by the ticket with a warning time; the ticket's own columns
(`first_reply_due_at`, `next_reply_due_at`, `resolution_due_at`) show the same times to the
requester and the desk. Starting, stopping, pausing and resuming a clock happen in the
transaction of the reply or status change that causes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from libs import deadlines
from services.support.adapters import desk_repository as desk
from services.support.adapters import tickets_repository as tickets
from services.support.domain.sla import Clock, Policy, Priority, SlaClockwork
from services.support.settings import SupportSettings

KIND = {Clock.FIRST_REPLY: "sla_first_reply", Clock.NEXT_REPLY: "sla_next_reply",
        Clock.RESOLUTION: "sla_resolution"}
CLOCK_OF_KIND = {kind: clock for clock, kind in KIND.items()}
COLUMN = {Clock.FIRST_REPLY: "first_reply_due_at", Clock.NEXT_REPLY: "next_reply_due_at",
          Clock.RESOLUTION: "resolution_due_at"}


async def clockwork(conn: asyncpg.Connection, settings: SupportSettings,
                    market: str) -> SlaClockwork:
    return SlaClockwork(calendar=await desk.calendar(conn, market),
                        minute=settings.sla_minute(),
                        warning_fraction=settings.sla_warning_fraction)


async def policy_of(conn: asyncpg.Connection, ticket: dict[str, Any]) -> Policy:
    return await desk.policy(conn, ticket["tier"], Priority(ticket["priority"]))


async def start(conn: asyncpg.Connection, settings: SupportSettings, ticket: dict[str, Any],
                clock: Clock, now: datetime, *, left: timedelta | None = None) -> datetime:
    """Starts (or restarts) a clock from `now`: the policy's full target, or `left` of it."""
    work = await clockwork(conn, settings, ticket["market"])
    if left is None:
        target = work.target(clock, await policy_of(conn, ticket), now)
    else:
        target = work.target_after(clock, now, left)
    await deadlines.schedule(conn, ticket["id"], KIND[clock], target.due_at,
                             warn_at=target.warn_at, replace=True)
    await tickets.update(conn, ticket["id"], now, **{COLUMN[clock]: target.due_at})
    ticket[COLUMN[clock]] = target.due_at
    return target.due_at


async def stop(conn: asyncpg.Connection, ticket: dict[str, Any], now: datetime,
               *clocks: Clock) -> None:
    await deadlines.cancel(conn, ticket["id"], *(KIND[c] for c in clocks))
    changes = {COLUMN[c]: None for c in clocks if c is not Clock.FIRST_REPLY}
    if changes:
        await tickets.update(conn, ticket["id"], now, **changes)
        ticket.update(changes)


async def pause_resolution(conn: asyncpg.Connection, settings: SupportSettings,
                           ticket: dict[str, Any], now: datetime) -> None:
    """Waiting on the requester: the resolution clock keeps the business time it had left."""
    due = ticket["resolution_due_at"]
    if due is None:
        return
    work = await clockwork(conn, settings, ticket["market"])
    left = work.left(now, due)
    await deadlines.cancel(conn, ticket["id"], KIND[Clock.RESOLUTION])
    await tickets.update(conn, ticket["id"], now, resolution_due_at=None,
                         resolution_left_s=left.total_seconds())
    ticket.update(resolution_due_at=None, resolution_left_s=left.total_seconds())


async def resume_resolution(conn: asyncpg.Connection, settings: SupportSettings,
                            ticket: dict[str, Any], now: datetime) -> None:
    left = ticket.get("resolution_left_s")
    if left is None or ticket["resolution_due_at"] is not None:
        return
    await start(conn, settings, ticket, Clock.RESOLUTION, now, left=timedelta(seconds=left))
    await tickets.update(conn, ticket["id"], now, resolution_left_s=None)
    ticket["resolution_left_s"] = None
