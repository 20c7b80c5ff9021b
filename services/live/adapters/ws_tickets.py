"""One-time tickets for opening a session's WebSocket.

Browsers cannot set an Authorization header on a WebSocket, and a bearer token in the URL ends
up in proxies' and servers' access logs. So a signed-in client first asks for a ticket (with
its token in a header, as for any request) and opens the socket with `?ticket=`: a random
value that names nobody, works for one session, once, within seconds. It lives in Redis, so
any instance can honour a ticket another issued; GETDEL makes its use atomic.
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from uuid import UUID

import redis.asyncio as redis

from libs.auth.principal import Principal, Role

TICKET_SECONDS = 30


def _key(session_id: UUID, ticket: str) -> str:
    return f"ws-ticket:{session_id}:{ticket}"


async def issue(client: redis.Redis, session_id: UUID, principal: Principal) -> str:
    ticket = secrets.token_urlsafe(32)
    who = {"subject": principal.subject, "roles": sorted(principal.roles),
           "seller_id": principal.seller_id, "shop_id": principal.shop_id,
           "creator_id": principal.creator_id,
           "birthdate": principal.birthdate.isoformat() if principal.birthdate else None}
    await client.set(_key(session_id, ticket), json.dumps(who), ex=TICKET_SECONDS)
    return ticket


async def redeem(client: redis.Redis, session_id: UUID, ticket: str) -> Principal | None:
    """The principal the ticket was issued to; None when it is unknown, used or stale."""
    if not 20 <= len(ticket) <= 100:
        return None
    raw = await client.getdel(_key(session_id, ticket))
    if raw is None:
        return None
    who = json.loads(raw)
    return Principal(subject=who["subject"], roles=frozenset(Role(r) for r in who["roles"]),
                     seller_id=who["seller_id"], shop_id=who["shop_id"],
                     creator_id=who["creator_id"],
                     birthdate=date.fromisoformat(who["birthdate"]) if who["birthdate"]
                     else None)
