"""Support end to end, through Kafka, on real servers: a seller asking about a late order gets an
automatic answer quoting that order's real state and deadlines, then a person; a missed
first-reply target warns, breaches and escalates; an ignored "not received" dispute refunds
the buyer by its deadline; late shipments warn and then suspend a seller (catalog enforces it)
until an appeal reinstates it; and the SLA report compares local and cross-border sellers."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from libs.testing import bearer, eventually
from tests.e2e.fulfillment_world import (
    OPERATOR,
    World,
    checked_out,
    listed,
    order_status,
    tracking,
)
from tests.e2e.support_world import (
    Desk,
    new_seller,
    opened,
    seller_order,
    start_desk,
    support_events,
    support_knows,
    ticket,
)

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
async def desk(settings_for: Callable[..., Any]) -> AsyncIterator[Desk]:
    async for running in start_desk(settings_for):
        yield running


async def reply_from(desk: Desk, ticket_id: str, who: dict[str, str], kind: str,
                     after: int = 0, timeout: float = 30) -> dict[str, Any]:
    """The ticket's `after`-th message (0-based) written by `kind`, once it exists."""
    async def probe() -> Any:
        found = [m for m in (await ticket(desk, ticket_id, who))["messages"]
                 if m["author_kind"] == kind]
        return found[after] if len(found) > after else None

    return dict(await eventually(probe, timeout=timeout, interval=0.1))


async def delivered_order(desk: Desk, seller: dict[str, str],
                          ) -> tuple[dict[str, Any], dict[str, str]]:
    """A paid order the seller ships itself with Royal Mail, carried to the buyer."""
    order, buyer = await seller_order(desk, seller)
    await tracking(desk.world, order["id"], seller)
    shipped = await desk.world.fulfillment.client.post(
        f"/v1/fulfillment-orders/{order['id']}/shipments", headers=seller,
        json={"carrier": "Royal Mail",
              "tracking_number": f"RM{secrets.randbelow(10**9):09d}GB"})
    assert shipped.status_code == 201, shipped.text
    await order_status(desk.world, buyer, order["id"], "delivered")
    return order, buyer


def when(moment: str) -> str:
    return f"{datetime.fromisoformat(moment):%d %b %Y, %H:%M} UTC"


async def test_a_late_order_gets_a_useful_automatic_answer_then_a_person(desk: Desk) -> None:
    world = desk.world
    order, _buyer = await seller_order(desk)
    promised = await tracking(world, order["id"], world.seller)
    await support_knows(desk, order["id"])
    created = await opened(desk, world.seller, {
        "category": "order", "subject": "Order running late",
        "body": "This order has not shipped yet. When must it ship by, and what happens if "
                "it is late?", "links": [{"kind": "order", "id": order["id"]}]})
    assert created["status"] == "new"
    assert created["first_reply_due_at"] and created["resolution_due_at"], \
        "the requester sees its ticket's deadlines"

    answer = await reply_from(desk, created["id"], world.seller, "responder")
    latency = (datetime.fromisoformat(answer["created_at"])
               - datetime.fromisoformat(created["created_at"]))
    assert latency < timedelta(seconds=5), f"the automatic answer took {latency}"
    assert order["id"] in answer["body"]
    assert "waiting to ship" in answer["body"]
    assert f"must ship by {when(promised['ship_by'])}" in answer["body"], answer["body"]
    assert "late shipment against your account health" in answer["body"]
    assert 0 <= answer["confidence"] <= 1
    after_answer = await ticket(desk, created["id"], world.seller)
    assert after_answer["status"] == "new", "the responder never solves or closes a ticket"
    assert after_answer["first_replied_at"] is None, \
        "an automatic answer is no first reply until the requester marks it helpful"

    asked = await desk.support.client.post(
        f"/v1/tickets/{created['id']}/messages", headers=world.seller,
        json={"body": "That does not help. Please let me talk to a person."})
    assert asked.status_code == 201, asked.text

    async def assigned() -> Any:
        current = await ticket(desk, created["id"], world.seller)
        return current if current["assignee"] else None

    handed = await eventually(assigned, timeout=30)
    assert handed["assignee"] in desk.agents and handed["status"] == "open"
    assert handed["wants_person"] is True
    agent = bearer("agent", handed["assignee"])
    mine = (await desk.support.client.get("/v1/tickets?scope=mine", headers=agent)).json()
    assert created["id"] in [t["id"] for t in mine["items"]]

    context = (await desk.support.client.get(f"/v1/tickets/{created['id']}/context",
                                             headers=agent)).json()
    [linked] = [o for o in context["orders"] if o["order_id"] == order["id"]]
    assert linked["linked"] and linked["method"] == "seller"
    assert [s["type"] for s in linked["story"]][:2] == ["order.placed", "order.confirmed"]
    assert context["account"]["health_score"] <= 100

    note = await desk.support.client.post(
        f"/v1/tickets/{created['id']}/messages", headers=agent,
        json={"body": "Seller is new; be kind.", "internal": True})
    assert note.status_code == 201
    reply = await desk.support.client.post(
        f"/v1/tickets/{created['id']}/messages", headers=agent,
        json={"body": "It must ship by the time shown; add tracking when it leaves."})
    assert reply.status_code == 201
    seen = await ticket(desk, created["id"], world.seller)
    assert seen["first_reply_by"] == "agent" and seen["first_replied_at"]
    assert all(not m["internal"] for m in seen["messages"]), "internal notes stay on the desk"
    assert all(m["author"] is None for m in seen["messages"]), "agents' names stay on the desk"
    assert len((await ticket(desk, created["id"], agent))["messages"]) == len(seen["messages"]) + 1


async def test_a_missed_first_reply_warns_then_breaches_and_escalates(desk: Desk) -> None:
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    created = await opened(desk, buyer, {
        "category": "payment", "market": "GB", "subject": "Gift tokens",
        "body": "I bought tokens for a stream gift yesterday and the balance looks odd."})
    due = datetime.fromisoformat(created["first_reply_due_at"])

    async def breached() -> Any:
        found = await support_events(desk, created["id"], "sla.warning", "sla.breached",
                                     "ticket.escalated")
        return found if [e["type"] for e in found][-2:] == ["sla.breached",
                                                            "ticket.escalated"] else None

    events = await eventually(breached, timeout=60, interval=0.3)
    warning, breach = events[0], events[-2]
    assert warning["type"] == "sla.warning" and warning["clock"] == "first_reply"
    assert datetime.fromisoformat(warning["at"]) < due, "the warning comes before the target"
    assert breach["clock"] == "first_reply"
    late_by = datetime.fromisoformat(breach["at"]) - due
    assert timedelta(0) <= late_by < timedelta(seconds=3), f"breach fired {late_by} after due"
    escalated = events[-1]
    assert (escalated["from_priority"], escalated["to_priority"]) == ("normal", "high")
    assert escalated["queue_id"] == desk.lead_queue_id
    now = await ticket(desk, created["id"], desk.lead_agent())
    assert now["priority"] == "high" and now["escalations"] == 1
    assert now["queue_id"] == desk.lead_queue_id and now["assignee"] == desk.lead
    assert any(m["author_kind"] == "system" and m["internal"] and "was missed" in m["body"]
               for m in now["messages"])
    mine = await desk.support.client.get("/v1/tickets?scope=mine", headers=desk.lead_agent())
    assert created["id"] in [t["id"] for t in mine.json()["items"]]


async def test_a_helpful_automatic_answer_is_the_first_reply(desk: Desk) -> None:
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    created = await opened(desk, buyer, {
        "category": "order", "market": "GB", "subject": "Returning an item",
        "body": "How do I return an item and get a refund?"})
    answer = await reply_from(desk, created["id"], buyer, "responder")
    assert "Returning an item and getting a refund" in answer["body"], answer["body"]
    assert answer["confidence"] >= 0.5, "a question the help centre answers is answered"
    rated = await desk.support.client.post(
        f"/v1/tickets/{created['id']}/messages/{answer['id']}/feedback", headers=buyer,
        json={"helpful": True})
    assert rated.status_code == 204, rated.text
    now = await ticket(desk, created["id"], buyer)
    assert now["first_reply_by"] == "responder"
    assert now["first_replied_at"] == answer["created_at"]
    pending = await desk.support.runtime.db.fetchval(
        "SELECT count(*) FROM deadlines WHERE key = $1 AND kind = 'sla_first_reply' "
        "AND done_at IS NULL", created["id"])
    assert pending == 0, "a helpful answer stops the first-reply clock"
    again = await desk.support.client.post(
        f"/v1/tickets/{created['id']}/messages/{answer['id']}/feedback", headers=buyer,
        json={"helpful": False})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "helpful"


async def test_an_ignored_not_received_dispute_refunds_the_buyer_by_its_deadline(
        desk: Desk) -> None:
    world = desk.world
    seller_id, seller = await new_seller(desk)
    order, buyer = await delivered_order(desk, seller)

    async def disputed() -> Any:
        response = await desk.support.client.post("/v1/disputes", headers=buyer, json={
            "order_id": order["id"], "reason": "not_received",
            "description": "Tracking says delivered but nothing came.",
            "evidence": [{"text": "My neighbour's doorbell camera shows no courier.",
                          "urls": ["https://example.com/doorbell.mp4"], "private": True}]})
        return response.json() if response.status_code == 201 else None

    dispute = await eventually(disputed, timeout=60, interval=0.3)
    assert dispute["status"] == "awaiting_seller" and dispute["respond_by"]
    private = [e for e in dispute["evidence"] if e["private"]]
    assert len(private) == 1
    seen_by_seller = (await desk.support.client.get(f"/v1/disputes/{dispute['id']}",
                                                    headers=seller)).json()
    assert all(not e["private"] for e in seen_by_seller["evidence"])
    refused = await desk.support.client.get(
        f"/v1/disputes/{dispute['id']}/evidence/{private[0]['id']}", headers=seller)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "evidence_id"
    other = await desk.support.client.get(f"/v1/disputes/{dispute['id']}",
                                          headers=bearer("buyer", "someone-else"))
    assert other.status_code == 404

    async def decided() -> Any:
        found = (await desk.support.client.get(f"/v1/disputes/{dispute['id']}",
                                               headers=buyer)).json()
        return found if found["status"] == "resolved" else None

    resolved = await eventually(decided, timeout=60, interval=0.3)
    assert (resolved["outcome"], resolved["decided_by"]) == ("refund_buyer", "deadline")
    assert datetime.fromisoformat(resolved["resolved_at"]) >= \
        datetime.fromisoformat(dispute["respond_by"])

    async def refunded() -> Any:
        payment = await world.orders.runtime.db.fetchrow(
            "SELECT captured_minor, refunded_minor FROM payments WHERE order_id = $1::uuid",
            order["id"])
        done = payment["refunded_minor"] == payment["captured_minor"] == order["total_minor"]
        return payment if done else None

    assert await eventually(refunded, timeout=60, interval=0.3), \
        "the buyer gets everything back, shipping included"
    story = (await desk.support.client.get(
        "/v1/tickets?scope=all", headers=OPERATOR)).status_code
    assert story == 200
    violations = (await desk.support.client.get(f"/v1/seller-accounts/{seller_id}/violations",
                                                headers=seller)).json()
    assert [v["kind"] for v in violations] == ["dispute_lost"]


async def test_late_shipments_warn_then_suspend_and_a_granted_appeal_reinstates(
        desk: Desk) -> None:
    world = desk.world
    seller_id, seller = await new_seller(desk)
    sold = World(world.catalog, world.orders, world.fulfillment, seller_id, seller,
                 world.category)
    listing = await listed(sold, stock=10)
    for _ in range(2):  # paid, never shipped: each misses its ship-by
        await checked_out(sold, {listing["sku"]: 1})

    async def standing(expected: str) -> Any:
        account = (await desk.support.client.get(f"/v1/seller-accounts/{seller_id}",
                                                 headers=seller)).json()
        return account if account["standing"] == expected else None

    suspended = await eventually(lambda: standing("restricted"), timeout=120, interval=0.5)
    assert suspended["health_score"] == 80 and suspended["suspended_by"] == "support"
    kinds = [e["type"] for e in await support_events(
        desk, seller_id, "account.violation_recorded", "account.warned", "account.suspended")]
    assert kinds == ["account.violation_recorded", "account.warned",
                     "account.violation_recorded", "account.suspended"]

    async def catalog_status(expected: str) -> bool:
        found = (await world.catalog.client.get(f"/v1/sellers/{seller_id}",
                                                headers=OPERATOR)).json()
        return bool(found["status"] == expected)

    assert await eventually(lambda: catalog_status("suspended"), timeout=60), \
        "catalog carries out support's suspension"
    product = f"/v1/products/{listing['product']['id']}"
    assert (await world.catalog.client.get(product)).status_code == 404, \
        "a suspended seller's listings stop selling"

    appeal = await desk.support.client.post(
        f"/v1/seller-accounts/{seller_id}/appeals", headers=seller,
        json={"statement": "Our courier collection failed twice; we now use daily pickups."})
    assert appeal.status_code == 201, appeal.text
    appeal_ticket = appeal.json()
    assert (appeal_ticket["kind"], appeal_ticket["priority"]) == ("appeal", "high")
    refused = await desk.support.client.post(
        f"/v1/seller-accounts/{seller_id}/appeals/{appeal_ticket['id']}/decision",
        headers=seller, json={"grant": True, "reason": "I say so"})
    assert refused.status_code in (403, 404)
    granted = await desk.support.client.post(
        f"/v1/seller-accounts/{seller_id}/appeals/{appeal_ticket['id']}/decision",
        headers=desk.agent(), json={"grant": True, "reason": "Daily pickups are in place."})
    assert granted.status_code == 200, granted.text
    assert granted.json()["status"] == "solved"

    reinstated = await eventually(lambda: standing("good"), timeout=60)
    assert reinstated["health_score"] == 100
    assert await eventually(lambda: catalog_status("verified"), timeout=60)
    assert (await world.catalog.client.get(product)).status_code == 200
    answer = (await ticket(desk, appeal_ticket["id"], seller))["messages"][-1]
    assert "granted" in answer["body"]


async def test_the_report_compares_local_and_cross_border_sellers(desk: Desk) -> None:
    _, local = await new_seller(desk)
    _, abroad = await new_seller(desk, country="CN")
    for who in (local, abroad):
        created = await opened(desk, who, {
            "category": "listing", "subject": "Listing question",
            "body": "Why could a listing be rejected, and how do I fix it?"})
        await reply_from(desk, created["id"], who, "responder")
        taken = await desk.support.client.post(
            f"/v1/tickets/{created['id']}/messages", headers=desk.agent(1),
            json={"body": "Fix the fields named in the rejection and submit again."})
        assert taken.status_code == 201, taken.text
    report = await desk.support.client.get("/v1/support-reports/sla", headers=desk.agent())
    assert report.status_code == 200, report.text
    rows = {(r["tier"], r["market"], r["origin"]): r for r in report.json()["rows"]}
    local_row, abroad_row = rows[("standard", "GB", "local")], rows[("standard", "GB",
                                                                       "cross_border")]
    for row in (local_row, abroad_row):
        assert row["first_replied"] >= 1 and row["first_reply_p50_seconds"] is not None
        assert row["first_reply_p90_seconds"] >= row["first_reply_p50_seconds"]
    assert local_row["first_reply_target_minutes"] == abroad_row["first_reply_target_minutes"]
    buyer_report = await desk.support.client.get("/v1/support-reports/sla", headers=local)
    assert buyer_report.status_code == 403


async def test_bad_requests_get_a_clear_answer_and_change_nothing(desk: Desk) -> None:
    client = desk.support.client
    world = desk.world
    other_id, other = await new_seller(desk)
    order, buyer = await seller_order(desk)
    await support_knows(desk, order["id"])

    too_long = await client.post("/v1/tickets", headers=world.seller, json={
        "category": "order", "subject": "Long", "body": "x" * 10_001})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "body"
    not_theirs = await client.post("/v1/tickets", headers=other, json={
        "category": "order", "subject": "Someone else's order", "body": "Where is it?",
        "links": [{"kind": "order", "id": order["id"]}]})
    assert not_theirs.status_code == 409
    assert not_theirs.json()["errors"][0]["field"] == "links.0.id"
    before = await desk.support.runtime.db.fetchval(
        "SELECT count(*) FROM tickets WHERE seller_id = $1::uuid", other_id)
    assert before == 0, "nothing half-written"
    bad_market = await client.post("/v1/tickets", headers=bearer("buyer", "b-x"), json={
        "category": "other", "subject": "Hello", "body": "A question"})
    assert bad_market.status_code == 422
    assert bad_market.json()["errors"][0]["field"] == "market"

    created = await opened(desk, buyer, {
        "category": "order", "subject": "My order", "body": "When does it arrive?",
        "links": [{"kind": "order", "id": order["id"]}]})
    path = f"/v1/tickets/{created['id']}"
    assert (await client.get(path, headers=world.seller)).status_code == 404, \
        "a buyer's ticket is not its seller's business"
    assert (await client.get(path, headers=bearer("buyer", "stranger"))).status_code == 404
    note = await client.post(f"{path}/messages", headers=buyer,
                             json={"body": "psst", "internal": True})
    assert note.status_code == 403 and note.json()["errors"][0]["field"] == "internal"
    solve = await client.post(f"{path}/solution", headers=buyer)
    assert solve.status_code == 403 and solve.json()["errors"][0]["field"] == "status"
    outsider = await client.get(path, headers=bearer("agent", "agent-in-no-queue"))
    assert outsider.status_code == 404, "an agent sees only what its queues allow"

    closed = await client.post(f"{path}/closure", headers=buyer)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    after = await client.post(f"{path}/messages", headers=buyer, json={"body": "One more"})
    assert after.status_code == 409 and after.json()["errors"][0]["field"] == "body"

    decision = await client.post("/v1/disputes/01a21962-0000-7000-8000-000000000000/decision",
                                 headers=buyer, json={"outcome": "refund_buyer", "note": "x"})
    assert decision.status_code == 404

    flood = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    statuses = [(await client.post("/v1/tickets", headers=flood, json={
        "category": "other", "market": "GB", "subject": f"Spam {n}", "body": "Hello?"})
    ).status_code for n in range(22)]
    assert statuses[:20] == [201] * 20 and statuses[20:] == [429, 429]


async def test_a_rejected_dispute_escalated_to_an_agent_ends_in_an_authorised_return(
        desk: Desk) -> None:
    world = desk.world
    _, seller = await new_seller(desk)
    order, buyer = await delivered_order(desk, seller)

    async def disputed() -> Any:
        response = await desk.support.client.post("/v1/disputes", headers=buyer, json={
            "order_id": order["id"], "reason": "not_as_described",
            "description": "The jumper is acrylic, the listing said merino."})
        return response.json() if response.status_code == 201 else None

    dispute = await eventually(disputed, timeout=60, interval=0.3)
    path = f"/v1/disputes/{dispute['id']}"
    early = await desk.support.client.post(f"{path}/escalation", headers=buyer, json={})
    assert early.status_code == 409, "nothing to escalate before the seller answers"
    by_buyer = await desk.support.client.post(f"{path}/decision", headers=buyer, json={
        "outcome": "refund_buyer", "note": "I decide"})
    assert by_buyer.status_code == 403 and by_buyer.json()["errors"][0]["field"] == "outcome"
    rejected = await desk.support.client.post(f"{path}/response", headers=seller, json={
        "response": "reject", "evidence": [{"text": "Label photo shows 100% merino.",
                                            "urls": ["https://example.com/label.jpg"]}]})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "seller_rejected" and rejected.json()["escalate_by"]
    escalated = await desk.support.client.post(f"{path}/escalation", headers=buyer, json={})
    assert escalated.status_code == 200 and escalated.json()["decide_by"]
    decided = await desk.support.client.post(f"{path}/decision", headers=desk.agent(), json={
        "outcome": "return_and_refund", "note": "Return it; refunded on receipt."})
    assert decided.status_code == 200, decided.text
    assert decided.json()["decided_by"] == f"agent:{desk.agents[0]}"
    kinds = [e["type"] for e in await support_events(
        desk, dispute["id"], "dispute.opened", "dispute.responded", "dispute.escalated",
        "dispute.resolved")]
    assert kinds == ["dispute.opened", "dispute.responded", "dispute.escalated",
                     "dispute.resolved"]

    async def return_label() -> Any:
        found = await world.fulfillment.runtime.db.fetchval(
            "SELECT count(*) FROM outbox WHERE event_key = $1 AND "
            "event_type = 'return.label_issued'", order["id"])
        return found or None

    assert await eventually(return_label, timeout=60, interval=0.3), \
        "orders authorised the return and fulfillment issued its label"
