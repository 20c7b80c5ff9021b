"""The automatic first responder: what it says, and how sure it is.

It answers from two sources: the ticket's own context (the linked order's real state and
deadlines, its parcel's last tracking event, the seller's account health, a listing's
moderation outcome) and the best help article the knowledge base's full-text search found. Its
confidence combines how well the article matched, whether the article is about the ticket's
category, and whether it had facts of the ticket's own objects to quote. Below the threshold,
or when the requester asks for a person, it hands the ticket to a person and says so. It never
solves or closes a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

SEARCH_WEIGHT = 0.55
CATEGORY_WEIGHT = 0.2
CONTEXT_WEIGHT = 0.25
RANK_SCALE = 2.5
"""A normalised full-text rank (0..1) of 0.4 already means most of the question's words are
in the article's title: scale it so such a match counts fully."""
EXCERPT_CHARS = 420


@dataclass(frozen=True)
class Article:
    id: UUID
    title: str
    body: str
    category: str
    rank: float
    """`ts_rank_cd(..., 32)`: between 0 and 1."""


@dataclass(frozen=True)
class Parcel:
    carrier: str | None
    tracking_number: str | None
    status: str
    at: datetime


@dataclass(frozen=True)
class OrderContext:
    order_id: UUID
    status: str
    method: str | None
    placed_at: datetime
    ship_by: datetime | None
    deliver_by: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    return_window_ends_at: datetime | None
    cancelled_reason: str | None
    refunded_minor: int
    currency: str
    parcels: list[Parcel] = field(default_factory=list)


@dataclass(frozen=True)
class ListingContext:
    product_id: UUID
    status: str
    reasons: list[str]


@dataclass(frozen=True)
class AccountContext:
    score: int
    standing: str


@dataclass(frozen=True)
class Question:
    requester_kind: str
    category: str
    text: str
    wants_person: bool
    first_reply_due_at: datetime | None
    orders: list[OrderContext] = field(default_factory=list)
    listings: list[ListingContext] = field(default_factory=list)
    account: AccountContext | None = None


@dataclass(frozen=True)
class Reply:
    body: str
    confidence: float
    article_ids: list[UUID]
    hand_over: bool


def confidence(article: Article | None, question: Question) -> float:
    search = min(1.0, article.rank * RANK_SCALE) if article else 0.0
    on_topic = 1.0 if article and article.category == question.category else 0.0
    facts = 1.0 if (question.orders or question.listings) else (
        0.5 if question.account and question.category == "account" else 0.0)
    return round(SEARCH_WEIGHT * search + CATEGORY_WEIGHT * on_topic + CONTEXT_WEIGHT * facts, 2)


def answer(question: Question, articles: list[Article], now: datetime,
           threshold: float) -> Reply:
    best = articles[0] if articles else None
    sure = confidence(best, question)
    hand_over = question.wants_person or sure < threshold
    parts: list[str] = ["Hello, this is the automatic assistant."]
    parts += [describe_order(order, question.requester_kind, question.account, now)
              for order in question.orders]
    parts += [describe_listing(listing) for listing in question.listings]
    if question.account and not question.orders and question.requester_kind == "seller":
        parts.append(f"Your account health score is {question.account.score}/100 "
                     f"({question.account.standing.replace('_', ' ')}).")
    if best is not None and best.rank > 0:
        parts.append(f"This help article covers it: \"{best.title}\". {_excerpt(best.body)}")
    due = (f" A person will reply by {_when(question.first_reply_due_at)}."
           if question.first_reply_due_at else "")
    if question.wants_person:
        parts.append(f"You asked for a person, so I've passed your ticket to our team.{due}")
    elif hand_over:
        parts.append(f"I'm not sure enough to answer this myself (confidence {sure:.0%}), so "
                     f"I've passed your ticket to our team.{due}")
    else:
        parts.append(f"(Automatic answer, confidence {sure:.0%}.) If this answers your "
                     "question, please mark it helpful. If it doesn't, reply \"talk to a person\" "
                     "and an agent will take over. This answer does not close your ticket.")
    return Reply("\n\n".join(parts), sure, [best.id] if best and best.rank > 0 else [],
                 hand_over)


def describe_order(order: OrderContext, requester_kind: str, account: AccountContext | None,
                   now: datetime) -> str:
    name = f"Order {order.order_id}"
    status = order.status
    if status == "cancelled":
        refunded = (f" {_money(order.refunded_minor, order.currency)} has been refunded."
                    if order.refunded_minor else " Nothing was captured, so nothing is owed.")
        return f"{name} was cancelled ({(order.cancelled_reason or 'other').replace('_', ' ')})." \
               + refunded
    if order.delivered_at is not None:
        text = f"{name} was delivered on {_when(order.delivered_at)}."
        if order.return_window_ends_at:
            text += f" Returns are open until {_when(order.return_window_ends_at)}."
        return text
    if order.shipped_at is not None:
        text = f"{name} shipped on {_when(order.shipped_at)}."
        latest = max(order.parcels, key=lambda p: p.at) if order.parcels else None
        if latest is not None:
            text += (f" Latest tracking with {latest.carrier or 'the carrier'}"
                     f" ({latest.tracking_number or 'no number yet'}): "
                     f"{latest.status.replace('_', ' ')}, {_when(latest.at)}.")
        return text + _delivery_promise(order, requester_kind, now)
    if status in ("placed", "pending") and order.method is None:
        # Fulfillment opens an order only once it is paid, and its event may reach support
        # before orders' own confirmation does: a known shipping method means paid.
        return f"{name} is waiting for its payment to be confirmed."
    text = f"{name} is paid and waiting to ship"
    text += " from our warehouse." if order.method == "fbt" else "."
    if order.ship_by is not None:
        if now > order.ship_by:
            text += (f" It missed its ship-by time ({_when(order.ship_by)}): unless it ships "
                     "now it is cancelled and the buyer refunded automatically.")
        else:
            text += f" It must ship by {_when(order.ship_by)} ({_relative(order.ship_by, now)})."
        if requester_kind == "seller" and order.method in ("seller", "mixed"):
            health = f" (your score is {account.score}/100)" if account else ""
            text += f" A missed ship-by counts as a late shipment against your account health" \
                    f"{health}."
    return text + _delivery_promise(order, requester_kind, now)


def _delivery_promise(order: OrderContext, requester_kind: str, now: datetime) -> str:
    if order.deliver_by is None:
        return ""
    if now <= order.deliver_by:
        return f" It is promised to arrive by {_when(order.deliver_by)} " \
               f"({_relative(order.deliver_by, now)})."
    text = f" It is late: it was promised by {_when(order.deliver_by)}."
    if requester_kind == "buyer":
        text += " You can open a \"not received\" dispute on the order now."
    return text


def describe_listing(listing: ListingContext) -> str:
    text = f"Listing {listing.product_id} is {listing.status.replace('_', ' ')}."
    if listing.reasons:
        text += " Reasons: " + "; ".join(listing.reasons) + "."
    return text


def _excerpt(body: str) -> str:
    if len(body) <= EXCERPT_CHARS:
        return body
    cut = body[:EXCERPT_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def _when(moment: datetime | None) -> str:
    return f"{moment:%d %b %Y, %H:%M} UTC" if moment else "unknown"


def _relative(moment: datetime, now: datetime) -> str:
    delta = moment - now
    future = delta >= timedelta(0)
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = f"{days} d {hours} h"
    elif hours:
        span = f"{hours} h {minutes} min"
    elif minutes:
        span = f"{minutes} min"
    else:
        span = f"{seconds} s"
    return f"in {span}" if future else f"{span} ago"


def _money(minor: int, currency: str) -> str:
    return f"{minor / 100:.2f} {currency}"
