"""Checkout: the cart becomes one order per seller, each starting its saga (one transaction).

Everything a buyer sends is checked again here: prices against the catalogue, flash-deal claim
tokens (signed by live), age rules against a verified birthdate, vouchers with their limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from libs import attribution_tokens, claim_tokens, deadlines, shipping_rates, zones
from libs.api import field_problem
from libs.domain_errors import StateConflict
from libs.errors import Problem
from libs.events.schemas.orders import OrderLine, OrderPlaced
from libs.ids import new_id
from libs.outbox import enqueue
from libs.shipping_rates import Quote, Speed
from libs.taxes import TAXES, TaxClass
from services.orders.adapters import rates_repository, repository, vouchers_repository
from services.orders.domain.age_rules import (
    AgeRuleViolation,
    LineForAgeCheck,
    check_minor_spending_cap,
    check_restricted_products,
    is_adult,
)
from services.orders.domain.attribution import AttributionError, check_touch, credited_by
from services.orders.domain.cart import CartLine
from services.orders.domain.catalog_view import SkuView
from services.orders.domain.checkout import (
    CheckoutConflict,
    DraftOrder,
    QuoteShipping,
    check_buyer_market,
    parcel_grams,
    revalidate,
    split_by_seller,
)
from services.orders.domain.claims import ClaimError, check_claim
from services.orders.domain.order import Order, OrderStatus
from services.orders.domain.payments import PaymentProvider
from services.orders.domain.taxes import LineToTax, OrderTax, TaxedLine, tax_order
from services.orders.domain.vouchers import VoucherError, share
from services.orders.settings import OrdersSettings
from services.orders.use_cases.saga import PAY_BY, STOCK_TIMEOUT


@dataclass(frozen=True)
class Checkout:
    buyer_id: str
    birthdate: date | None
    shipping_address: dict[str, Any]
    payment_method: str
    voucher_codes: list[str] = field(default_factory=list)
    shipping_speed: Speed = "standard"


async def place_orders(conn: Any, command: Checkout, settings: OrdersSettings,
                       provider: PaymentProvider) -> tuple[UUID, list[Order]]:
    """Places the buyer's cart; returns the checkout id and its orders (one per seller)."""
    card = await provider.describe(command.payment_method)
    if card is None:
        raise field_problem("payment.method", "The payment provider does not know this "
                            "payment method.", "unknown_payment_method")
    lines = await repository.take_cart(conn, command.buyer_id)
    if not lines:
        raise StateConflict("cart", "The cart is empty.", "cart_empty")
    skus = await repository.skus(conn, [line.sku_id for line in lines])
    check_buyer_market(lines, skus, command.shipping_address["country"])
    lines = [_credited_now(line, skus, command.buyer_id, settings) for line in lines]
    changes = revalidate(lines, skus)
    if changes:
        raise PricesChanged(changes)
    grants = _claims_of(lines, command.buyer_id, settings)
    today = datetime.now(UTC).date()
    try:
        check_restricted_products(
            [LineForAgeCheck(i, skus[line.sku_id].age_restricted)
             for i, line in enumerate(lines)], command.birthdate, today)
        drafts = split_by_seller(lines, await _quoting(conn, command, skus))
        if command.birthdate is not None and not is_adult(command.birthdate, today):
            await repository.lock_minor_spend(conn, command.buyer_id)
            for currency in {d.currency for d in drafts}:
                check_minor_spending_cap(
                    command.birthdate, today, currency=currency,
                    spent_this_month=await repository.minor_spend_this_month(
                        conn, command.buyer_id, currency),
                    this_order=sum(d.total_minor for d in drafts if d.currency == currency),
                    cap=settings.minor_monthly_cap_minor.get(currency))
    except AgeRuleViolation as exc:
        raise age_rule_refusal(exc) from exc
    checkout_id, placed_at = new_id(), datetime.now(UTC)
    order_ids = [new_id() for _ in drafts]
    discounts = await _apply_vouchers(conn, command.voucher_codes, drafts, order_ids,
                                      command.buyer_id, checkout_id, placed_at)
    order_of_sku = {line.sku_id: order_id for order_id, draft in zip(order_ids, drafts,
                                                                       strict=True)
                    for line in draft.lines}
    for index, grant in grants.items():
        if not await repository.redeem_claim(conn, grant.claim_id, command.buyer_id,
                                             checkout_id, order_of_sku[lines[index].sku_id]):
            raise Problem(409, "Claim already used", "This flash-deal claim was already "
                          "checked out.", errors=[{
                              "field": f"lines.{index}.source.claim_token",
                              "message": "already used", "code": "claim_used"}])
    grant_of_sku = {lines[i].sku_id: g for i, g in grants.items()}
    orders = []
    for order_id, draft, discount in zip(order_ids, drafts, discounts, strict=True):
        tax = _tax_of(draft, discount, skus, command.shipping_address)
        order = Order(id=order_id, checkout_id=checkout_id, buyer_id=command.buyer_id,
                      seller_id=draft.seller_id, currency=draft.currency,
                      subtotal_minor=draft.subtotal_minor,
                      shipping_minor=draft.shipping_minor, discount_minor=discount,
                      status=OrderStatus.AWAITING_STOCK, created_at=placed_at,
                      tax_minor=tax.tax_minor, tax_added_minor=tax.added_minor)
        pay_by = placed_at + timedelta(seconds=settings.reserve_for_seconds)
        await repository.add_order(conn, order, list(draft.lines), command.shipping_address,
                                   card.last4, payment_method=command.payment_method,
                                   pay_by=pay_by,
                                   quote=draft.quote.as_dict() if draft.quote else None, tax=tax)
        await deadlines.schedule_each(conn, [
            (order.id, STOCK_TIMEOUT,
             placed_at + timedelta(seconds=settings.stock_answer_timeout_seconds)),
            (order.id, PAY_BY, pay_by)])  # a promise: the order shows it too (`pay_by`)
        await enqueue(conn, "orders", OrderPlaced(
            order_id=order.id, buyer_id=command.buyer_id, seller_id=order.seller_id,
            currency=order.currency, reserve_for_seconds=settings.reserve_for_seconds,
            placed_at=placed_at, lines=[
                _order_line(line, grant_of_sku.get(line.sku_id), tax.of(line.sku_id))
                for line in draft.lines]))
        orders.append(order)
    return checkout_id, orders


async def reprice_cart(pool: Any, buyer_id: str, changed: PricesChanged) -> None:
    """The cart shows the new prices (in a transaction of its own: the checkout rolled back)."""
    async with pool.acquire() as conn:
        await repository.reprice_lines(conn, buyer_id,
                                       [(c.sku_id, c.now_minor) for c in changed.changes])


async def _quoting(conn: Any, command: Checkout, skus: dict[UUID, SkuView]) -> QuoteShipping:
    """Quotes each seller's parcel from its market's rate card, to the buyer's zone."""
    address = command.shipping_address
    zone = zones.zone_of(address["country"], address["postcode"]).code
    markets = {sku.market for sku in skus.values()}
    cards = {m: await rates_repository.card(conn, m) for m in markets}

    def quote(lines: list[CartLine], subtotal: int) -> Quote:
        market = skus[lines[0].sku_id].market
        card = cards.get(market)
        if card is None:
            raise CheckoutConflict("lines", f"the platform does not ship in market {market}",
                                   "no_rate_card")
        return shipping_rates.quote(card, zone=zone, speed=command.shipping_speed,
                                    billable_grams=parcel_grams(lines, skus),
                                    subtotal_minor=subtotal)

    return quote


def _credited_now(line: CartLine, skus: dict[UUID, SkuView], buyer_id: str,
                  settings: OrdersSettings) -> CartLine:
    """The line's credit, checked again: a token whose window has passed since the line was
    added credits no one (the purchase goes ahead)."""
    token, sku = line.source.attribution_token, skus.get(line.sku_id)
    if token is None or sku is None:
        return line
    try:
        touch = attribution_tokens.verify(settings.claim_token_secret.get_secret_value(), token)
        check_touch(touch, buyer_id=buyer_id, product_id=sku.product_id,
                    seller_id=sku.seller_id, now=datetime.now(UTC))
    except (attribution_tokens.InvalidAttributionToken, AttributionError):
        return replace(line, source=credited_by(line.source, None, buyer_id=buyer_id))
    return replace(line, source=credited_by(line.source, touch, buyer_id=buyer_id))


def _claims_of(lines: list[CartLine], buyer_id: str,
               settings: Any) -> dict[int, claim_tokens.ClaimGrant]:
    """The claim behind each flash-deal line, checked again: it may have expired since."""
    grants = {}
    now = datetime.now(UTC)
    secret = settings.claim_token_secret.get_secret_value()
    for index, line in enumerate(lines):
        if line.source.claim_token is None:
            continue
        field = f"lines.{index}.source.claim_token"
        try:
            grant = claim_tokens.verify(secret, line.source.claim_token)
        except claim_tokens.InvalidClaimToken as exc:
            raise ClaimError(field, str(exc), "claim_invalid") from exc
        check_claim(grant, buyer_id=buyer_id, sku_id=line.sku_id, quantity=line.quantity,
                    now=now, field=field)
        grants[index] = grant
    return grants


def _tax_of(draft: DraftOrder, discount: int, skus: dict[UUID, SkuView],
            address: dict[str, Any]) -> OrderTax:
    first = skus[draft.lines[0].sku_id]
    return tax_order(TAXES, market=first.market.strip(), region=address.get("region"),
                     cross_border=first.cross_border, discount_minor=discount, lines=[
                         LineToTax(line.sku_id, line.unit_price_minor * line.quantity,
                                   cast(TaxClass, skus[line.sku_id].tax_class))
                         for line in draft.lines])


def _order_line(line: CartLine, grant: claim_tokens.ClaimGrant | None,
                taxed: TaxedLine) -> OrderLine:
    return OrderLine(sku_id=line.sku_id, quantity=line.quantity,
                     tax_minor=taxed.tax.tax_minor, tax_rate_bps=taxed.tax.rate_bps,
                     unit_price_minor=line.unit_price_minor,
                     live_session_id=_uuid_or_none(line.source.live_session_id),
                     deal_id=grant.deal_id if grant else None,
                     claim_id=grant.claim_id if grant else None,
                     video_id=_uuid_or_none(line.source.video_id),
                     creator_id=line.source.creator_id)


def _uuid_or_none(value: str | None) -> UUID | None:
    """Attribution ids come from clients; only a live session's own id is passed on."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


async def _apply_vouchers(conn: Any, codes: list[str], drafts: list[DraftOrder],
                          order_ids: list[UUID], buyer_id: str, checkout_id: UUID,
                          now: datetime) -> list[int]:
    """Discount per order. Each voucher's use is taken in this transaction (all or none)."""
    discounts = [0 for _ in drafts]
    seen_platform, seen_sellers = False, set()
    for index, raw in enumerate(dict.fromkeys(c.strip().upper() for c in codes)):
        field = f"voucher_codes.{index}"
        voucher = await vouchers_repository.get(conn, raw)
        if voucher is None:
            raise _voucher_problem(field, "voucher_unknown", f"No voucher {raw}.")
        try:
            if voucher.seller_id is None:
                if seen_platform:
                    raise VoucherError("voucher_one_platform", "One platform voucher per checkout.")
                seen_platform = True
                eligible = [i for i, d in enumerate(drafts) if d.currency == voucher.currency]
                subtotal = sum(drafts[i].subtotal_minor - discounts[i] for i in eligible)
                off = voucher.discount(subtotal, voucher.currency, now)
                parts = share(off, [drafts[i].subtotal_minor - discounts[i] for i in eligible])
                allocations = list(zip([order_ids[i] for i in eligible], parts, strict=True))
                for i, part in zip(eligible, parts, strict=True):
                    discounts[i] += part
            else:
                if voucher.seller_id in seen_sellers:
                    raise VoucherError("voucher_one_per_seller", "One voucher per seller.")
                seen_sellers.add(voucher.seller_id)
                matching = [i for i, d in enumerate(drafts) if d.seller_id == voucher.seller_id]
                if not matching:
                    raise VoucherError("voucher_not_applicable",
                                       f"{raw} is for a shop not in this cart.")
                i = matching[0]
                off = voucher.discount(drafts[i].subtotal_minor, drafts[i].currency, now)
                discounts[i] += off
                allocations = [(order_ids[i], off)]
        except VoucherError as exc:
            raise _voucher_problem(field, exc.code, str(exc)) from exc
        refusal = await vouchers_repository.redeem(conn, voucher, buyer_id, checkout_id,
                                                   allocations)
        if refusal is not None:
            raise _voucher_problem(field, refusal, f"{raw} cannot be used: {refusal}.")
    return discounts


def _voucher_problem(field: str, code: str, message: str) -> Problem:
    """A voucher the platform's current state refuses (unknown, used up, not for this cart)."""
    return field_problem(field, message, code, status=409)


class PricesChanged(Exception):
    """The cart's prices moved since the lines were added; the buyer must look again."""

    def __init__(self, changes: list[Any]) -> None:
        super().__init__("prices changed")
        self.changes = changes


def age_rule_refusal(exc: AgeRuleViolation, field: str | None = None) -> Problem:
    """The 403 of an age rule, naming the rule (and the field, when one is at fault); checkout
    and gift-token top-ups answer alike."""
    field = field or exc.field
    return Problem(403, "Forbidden", str(exc), rule=exc.rule,
                   errors=[{"field": field, "message": str(exc), "code": exc.rule}]
                   if field else None)
