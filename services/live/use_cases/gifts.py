"""Sending a gift to a live session's host: paid from the buyer's token wallet, split between
host and platform on a balanced ledger, announced to the session's viewers once committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

import asyncpg

from libs.db.transaction import after_commit
from libs.domain_errors import StateConflict
from libs.errors import Problem
from libs.events.schemas import live as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.live.adapters import sessions_repository, wallet_repository
from services.live.components import LiveComponents
from services.live.domain.chat import public_handle
from services.live.domain.wallet import gift_entries


@dataclass(frozen=True)
class Sent:
    gift_id: UUID
    tokens: int
    balance_tokens: int


async def send(conn: asyncpg.Connection, live: LiveComponents, session_id: UUID, buyer_id: str,
               gift_code: str, quantity: int) -> Sent:
    session = await sessions_repository.get(conn, session_id)
    if session is None:
        raise Problem(404, "Not found", "No such live session.")
    session.require_live("sending a gift")
    gift = await wallet_repository.gift(conn, gift_code)
    if gift is None:
        raise StateConflict("gift_code", "no such gift", "unknown_gift")
    tokens = gift["tokens"] * quantity
    balance = await wallet_repository.debit(conn, buyer_id, tokens)
    if balance is None:
        have = await wallet_repository.balance(conn, buyer_id)
        raise Problem(409, "Not enough tokens", f"This gift costs {tokens} tokens; the "
                      f"wallet holds {have}.", errors=[{
                          "field": "quantity", "message": "wallet balance too low",
                          "code": "insufficient_tokens"}], balance_tokens=have)
    gift_id = new_id()
    entries = gift_entries(buyer_id, session.host_id, tokens, live.settings.host_share_percent)
    await wallet_repository.post(conn, gift_id, entries)
    await wallet_repository.add_gift(conn, gift_id=gift_id, session_id=session_id,
                                     buyer_id=buyer_id, host_id=session.host_id,
                                     gift_code=gift_code, quantity=quantity, tokens=tokens)
    await enqueue(conn, "live", events.LiveGiftSent(
        session_id=session_id, gift_id=gift_id, buyer_id=buyer_id, host_id=session.host_id,
        gift_code=gift_code, quantity=quantity, tokens=tokens,
        host_share_tokens=entries[1].tokens, sent_at=datetime.now(UTC)))
    # Announced once committed (a replay of the same Idempotency-Key announces nothing).
    after_commit(partial(live.feed.publish, session_id, "gift", {
        "gift_code": gift_code, "quantity": quantity,
        "from": public_handle(live.settings.handle_key, session_id, buyer_id), "tokens": tokens}))
    return Sent(gift_id, tokens, balance)
