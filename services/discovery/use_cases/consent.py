"""A buyer's personalisation consent: read, change (each change kept in the history and
published), and what it means for one request together with the buyer's verified age."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from libs.auth.principal import Principal
from libs.events.schemas.discovery import ConsentChanged
from libs.outbox import enqueue
from services.discovery.adapters import consent_repository
from services.discovery.domain.consent import Audience, audience, default_consent

SOURCE = "discovery"


async def audience_for(db: asyncpg.Pool | asyncpg.Connection, principal: Principal, market: str,
                       *, wants_personalised: bool = True) -> Audience:
    consent = await consent_repository.consent(db, principal.subject)
    return audience(consent=consent, market=market, birthdate=principal.birthdate,
                    today=datetime.now(UTC).date(), wants_personalised=wants_personalised)


async def change(conn: asyncpg.Connection, principal: Principal, personalised: bool,
                 market: str) -> bool:
    """Records the buyer's choice; turning it off deletes the history kept to personalise."""
    now = datetime.now(UTC)
    await consent_repository.note_buyer(conn, principal.subject, market, principal.birthdate, now)
    changed = await consent_repository.record(conn, principal.subject, personalised, market, now)
    if changed:
        if not personalised:
            await consent_repository.forget_history(conn, principal.subject)
        await enqueue(conn, SOURCE, ConsentChanged(buyer_id=principal.subject,
                                                   personalised=personalised, market=market,
                                                   changed_at=now))
    return changed


async def current(db: asyncpg.Pool, principal: Principal, market: str) -> tuple[bool, bool, Audience]:
    """(the effective choice, whether the buyer made it, what it allows for them now)."""
    consent = await consent_repository.consent(db, principal.subject)
    effective = default_consent(market) if consent is None else consent
    return effective, consent is not None, await audience_for(db, principal, market)
