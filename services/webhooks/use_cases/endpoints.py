"""Sellers' endpoints: created with a secret shown once, changed, rotated (the old secret keeps
signing beside the new one for an overlap), tested, deleted; operators may disable any."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from libs.domain_errors import StateConflict
from libs.ids import new_id
from services.webhooks.adapters import repository, signing
from services.webhooks.adapters.secrets_box import SecretBox, new_signing_secret
from services.webhooks.domain import addresses
from services.webhooks.domain.subscriptions import check_patterns
from services.webhooks.use_cases.intake import public_types


async def check_destination(url: str, *, dev_mode: bool) -> None:
    """Refuses a URL whose host is missing, not https, or resolves to a forbidden address."""
    _, host, port = addresses.check_url(url, dev_mode=dev_mode)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):  # unresolvable, or not a host name at all
        raise addresses.ForbiddenAddress("url", "the host does not resolve",
                                         "unresolvable") from None
    addresses.check_addresses([i[4][0] for i in infos], dev_mode=dev_mode)


def new_key(scheme: str) -> tuple[str, str | None]:
    """(the secret or private key, the public key for Ed25519)."""
    if scheme == "ed25519":
        return signing.new_ed25519()
    return new_signing_secret(), None


async def create(conn: asyncpg.Connection, box: SecretBox, *, seller_id: UUID, url: str,
                 description: str, event_types: list[str], dev_mode: bool,
                 scheme: str = "hmac") -> tuple[dict[str, Any], str | None]:
    """The endpoint and its HMAC secret (returned this once, stored sealed; None for Ed25519,
    whose public key is on the endpoint and whose private key never leaves the platform)."""
    await check_destination(url, dev_mode=dev_mode)
    patterns = check_patterns(event_types, public_types())
    (secret, public_key), endpoint_id = new_key(scheme), new_id()
    await repository.add_endpoint(conn, endpoint_id=endpoint_id, seller_id=seller_id, url=url,
                                  description=description, event_types=patterns,
                                  secret=box.seal(secret), scheme=scheme,
                                  public_key=public_key)
    found = await repository.endpoint(conn, endpoint_id)
    assert found is not None
    return found, None if public_key else secret


async def owned(conn: asyncpg.Connection | asyncpg.Pool, endpoint_id: UUID,
                seller_id: UUID | None, *, for_update: bool = False) -> dict[str, Any]:
    """The endpoint if `seller_id` owns it (None: an operator); else LookupError (a 404)."""
    found = await repository.endpoint(conn, endpoint_id, for_update=for_update)
    if found is None or (seller_id is not None and found["seller_id"] != seller_id):
        raise LookupError(endpoint_id)
    return found


async def update(conn: asyncpg.Connection, endpoint_id: UUID, seller_id: UUID,
                 changes: dict[str, Any], *, dev_mode: bool) -> dict[str, Any]:
    await owned(conn, endpoint_id, seller_id, for_update=True)
    if "url" in changes:
        await check_destination(changes["url"], dev_mode=dev_mode)
    if "event_types" in changes:
        changes["event_types"] = check_patterns(changes["event_types"], public_types())
    if changes.get("active") is True:
        changes.update(disabled_reason=None, failing_since=None)
    if changes:
        await repository.update_endpoint(conn, endpoint_id, **changes)
    return await owned(conn, endpoint_id, seller_id)


async def rotate(conn: asyncpg.Connection, box: SecretBox, endpoint_id: UUID, seller_id: UUID,
                 overlap_seconds: float) -> tuple[dict[str, Any], str | None]:
    """A new secret (returned once) or key pair; the previous one keeps signing until the
    overlap ends."""
    found = await owned(conn, endpoint_id, seller_id, for_update=True)
    secret, public_key = new_key(found["scheme"])
    await repository.update_endpoint(
        conn, endpoint_id, secret=box.seal(secret), old_secret=found["secret"],
        old_secret_until=datetime.now(UTC) + timedelta(seconds=overlap_seconds),
        public_key=public_key, old_public_key=found["public_key"])
    return await owned(conn, endpoint_id, seller_id), None if public_key else secret


async def send_test(conn: asyncpg.Connection, endpoint_id: UUID, seller_id: UUID) -> UUID:
    """Queues a `webhook.test` delivery to the endpoint (it is not in the seller's feed)."""
    found = await owned(conn, endpoint_id, seller_id)
    if not found["active"]:
        raise StateConflict("endpoint_id", "the endpoint is disabled; enable it first",
                            "disabled")
    event_id = new_id()
    seq = await repository.add_event(
        conn, event_id=event_id, seller_id=seller_id, type_="webhook.test",
        topic="webhooks.test", aggregate_id=str(endpoint_id), sequence=None,
        occurred_at=datetime.now(UTC), data={"endpoint_id": str(endpoint_id),
                                              "message": "Hello from socialcommerce."})
    assert seq is not None
    delivery_id = new_id()
    await repository.add_deliveries(conn, [(delivery_id, endpoint_id, seq, str(endpoint_id))])
    return delivery_id
