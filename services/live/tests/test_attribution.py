"""Taps that credit sales (issue 12, item 2): a buyer tapping a product in a live session gets
a token the platform signed, naming the session and, only when the host is a partner who
accepted the shop's invitation, the creator; never the buyer themself."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import pytest

from libs import attribution_tokens
from libs.testing import TEST_CLAIM_SECRET, ServedService, bearer

from .conftest import Publish, Shop, live_session, new_shop, published_product

pytestmark = pytest.mark.kafka


async def creator_session(live: ServedService, shop: Shop, creator_id: str,
                          creator: dict[str, str], *, accept: bool) -> str:
    await live.client.put(f"/v1/live/partners/{creator_id}", headers=shop.headers)
    if accept:
        accepted = await live.client.post(
            f"/v1/live/partnerships/{shop.seller_id}/acceptance", headers=creator)
        assert accepted.status_code == 200, accepted.text
    created = await live.client.post("/v1/live/sessions", headers=shop.headers, json={
        "title": "Haul with a creator", "scheduled_for": datetime.now(UTC).isoformat(),
        "host": {"kind": "creator", "creator_id": creator_id}})
    assert created.status_code == 201, created.text
    session_id = str(created.json()["id"])
    assert (await live.client.post(f"/v1/live/sessions/{session_id}/start",
                                   headers=creator)).status_code == 200
    return session_id


async def tap(live: ServedService, session_id: str, product_id: str,
              buyer: dict[str, str]) -> Any:
    return await live.client.post(f"/v1/live/sessions/{session_id}/products/{product_id}/taps",
                                  headers=buyer)


async def test_a_tap_credits_the_session_and_its_accepted_creator_but_not_the_buyer_themself(
        live: ServedService, publish: Publish) -> None:
    shop = await new_shop(live, publish)
    product_id, _ = await published_product(live, publish, shop)
    creator_id = f"cr_{secrets.token_hex(3)}"
    creator = bearer("creator", f"user-{creator_id}", creator_id=creator_id)
    session_id = await creator_session(live, shop, creator_id, creator, accept=True)
    not_shown = await tap(live, session_id, product_id, bearer("buyer", "b-1"))
    assert not_shown.status_code == 409
    assert not_shown.json()["errors"][0]["code"] == "not_showcased"
    assert (await live.client.put(f"/v1/live/sessions/{session_id}/showcase/{product_id}",
                                  headers=creator)).status_code == 204

    fan = f"fan-{secrets.token_hex(3)}"
    tapped = await tap(live, session_id, product_id, bearer("buyer", fan))
    assert tapped.status_code == 201, tapped.text
    assert tapped.json()["creator_credited"] is True
    touch = attribution_tokens.verify(TEST_CLAIM_SECRET, tapped.json()["attribution_token"])
    assert (touch.buyer_id, str(touch.product_id), str(touch.session_id), touch.creator_id,
            str(touch.seller_id)) == (fan, product_id, session_id, creator_id, shop.seller_id)

    # The creator, buying through their own session with their own account, credits no one.
    own = await tap(live, session_id, product_id, bearer("buyer", f"user-{creator_id}"))
    assert own.status_code == 201 and own.json()["creator_credited"] is False
    # A token cannot be altered to credit someone else: the signature no longer holds.
    forged = tapped.json()["attribution_token"][:-3] + "AAA"
    with pytest.raises(attribution_tokens.InvalidAttributionToken):
        attribution_tokens.verify(TEST_CLAIM_SECRET, forged)
    assert (await tap(live, session_id, product_id, bearer("seller", "s-1"))).status_code == 403


async def test_a_creator_who_never_accepted_is_never_credited(
        live: ServedService, publish: Publish) -> None:
    """Sessions scheduled before partnerships needed acceptance keep running; a tap in one
    credits the session only."""
    shop = await new_shop(live, publish)
    product_id, _ = await published_product(live, publish, shop)
    creator_id = f"cr_{secrets.token_hex(3)}"
    creator = bearer("creator", f"user-{creator_id}", creator_id=creator_id)
    session_id = await creator_session(live, shop, creator_id, creator, accept=True)
    await live.client.put(f"/v1/live/sessions/{session_id}/showcase/{product_id}",
                          headers=creator)
    assert (await live.client.delete(f"/v1/live/partnerships/{shop.seller_id}",
                                     headers=creator)).status_code == 204
    tapped = await tap(live, session_id, product_id, bearer("buyer", "b-2"))
    assert tapped.status_code == 201 and tapped.json()["creator_credited"] is False


async def test_taps_need_a_live_session(live: ServedService, publish: Publish) -> None:
    shop = await new_shop(live, publish)
    product_id, _ = await published_product(live, publish, shop)
    session_id = await live_session(live, shop)
    await live.client.put(f"/v1/live/sessions/{session_id}/showcase/{product_id}",
                          headers=shop.headers)
    assert (await tap(live, session_id, product_id, bearer("buyer", "b-3"))).status_code == 201
    await live.client.post(f"/v1/live/sessions/{session_id}/end", headers=shop.headers)
    over = await tap(live, session_id, product_id, bearer("buyer", "b-3"))
    assert over.status_code == 409 and over.json()["errors"][0]["code"] == "not_live"
