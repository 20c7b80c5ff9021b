"""A ticket's context, from support's read model: what the responder quotes and what an agent
sees on one screen (`GET /v1/tickets/{id}/context`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from services.support.adapters import context_repository as context
from services.support.adapters import disputes_repository as disputes
from services.support.adapters import seller_accounts_repository as accounts
from services.support.adapters import tickets_repository as tickets
from services.support.domain import responder
from services.support.domain.tickets import LinkKind

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def question(conn: Conn, ticket: dict[str, Any]) -> responder.Question:
    links = await tickets.links(conn, ticket["id"])
    order_ids = [object_id for kind, object_id in links if kind == LinkKind.ORDER]
    for kind, object_id in links:
        if kind == LinkKind.SHIPMENT and (parcel := await context.parcel(conn, object_id)):
            order_ids.append(parcel["order_id"])
    orders = [o for o in [await order_context(conn, i) for i in dict.fromkeys(order_ids)] if o]
    listings = []
    for kind, object_id in links:
        if kind == LinkKind.PRODUCT and (item := await context.listing(conn, object_id)):
            listings.append(responder.ListingContext(
                product_id=item["product_id"], status=item["status"],
                reasons=[str(r) for r in item["reasons"]]))
    account = None
    if ticket["seller_id"] is not None:
        found = await accounts.get(conn, ticket["seller_id"])
        if found is not None:
            account = responder.AccountContext(found.health_score, found.standing.value)
    return responder.Question(
        requester_kind=ticket["requester_kind"], category=ticket["category"],
        text=await tickets.requester_text(conn, ticket["id"]),
        wants_person=ticket["wants_person"], first_reply_due_at=ticket["first_reply_due_at"],
        orders=orders, listings=listings, account=account)


async def order_context(conn: Conn, order_id: UUID) -> responder.OrderContext | None:
    order = await context.order(conn, order_id)
    if order is None:
        return None
    return responder.OrderContext(
        order_id=order_id, status=order["status"], method=order["method"],
        placed_at=order["placed_at"], ship_by=order["ship_by"], deliver_by=order["deliver_by"],
        shipped_at=order["shipped_at"], delivered_at=order["delivered_at"],
        return_window_ends_at=order["return_window_ends_at"],
        cancelled_reason=order["cancelled_reason"], refunded_minor=order["refunded_minor"],
        currency=order["currency"],
        parcels=[responder.Parcel(p["carrier"], p["tracking_number"], p["status"],
                                  p["last_event_at"])
                 for p in await context.parcels(conn, order_id)])


async def whole_story(conn: Conn, ticket: dict[str, Any]) -> dict[str, Any]:
    """Everything support knows of the requester's dealings, newest orders first."""
    links = await tickets.links(conn, ticket["id"])
    if ticket["seller_id"] is not None:
        recent = await context.recent_orders(conn, seller_id=ticket["seller_id"])
    else:
        recent = await context.recent_orders(conn, buyer_id=ticket["requester"])
    linked = [object_id for kind, object_id in links if kind == LinkKind.ORDER]
    known = {o["order_id"] for o in recent}
    for order_id in linked:
        if order_id not in known and (order := await context.order(conn, order_id)):
            recent.insert(0, order)
    order_ids = [o["order_id"] for o in recent]
    stories = await context.story(conn, order_ids)
    parcels = await context.parcels(conn, *order_ids)
    refunds = await context.refunds(conn, *order_ids)
    orders = []
    for order in recent:
        order_id = order["order_id"]
        orders.append({
            **{k: order[k] for k in ("order_id", "buyer_id", "seller_id", "status", "method",
                                     "currency", "total_minor", "refunded_minor", "placed_at",
                                     "ship_by", "deliver_by", "shipped_at", "delivered_at",
                                     "return_window_ends_at", "cancelled_reason")},
            "linked": order_id in linked,
            "lines": order["lines"],
            "parcels": [p for p in parcels if p["order_id"] == order_id],
            "refunds": [r for r in refunds if r["order_id"] == order_id],
            "story": [s for s in stories if s["order_id"] == order_id]})
    account = None
    listings: list[dict[str, Any]] = []
    if ticket["seller_id"] is not None:
        found = await accounts.get(conn, ticket["seller_id"])
        if found is not None:
            account = {**found.__dict__, "standing": found.standing.value,
                       "violations": await accounts.violation_list(conn, found.seller_id, 20)}
        listings = await context.recent_listings(conn, ticket["seller_id"])
    for kind, object_id in links:
        known = {item["product_id"] for item in listings}
        if kind == LinkKind.PRODUCT and object_id not in known \
                and (item := await context.listing(conn, object_id)):
            listings.insert(0, item)
    return {"ticket_id": ticket["id"], "requester": ticket["requester"],
            "requester_kind": ticket["requester_kind"], "links": [
                {"kind": kind, "id": object_id} for kind, object_id in links],
            "orders": orders, "listings": listings, "account": account,
            "disputes": await disputes.for_order(conn, order_ids) if order_ids else [],
            "generated_at": datetime.now(UTC)}
