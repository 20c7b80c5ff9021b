from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from libs.markets import MARKET_CURRENCIES
from libs.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    service_name: str = "orders"
    http_port: int = 8002
    db_pool_max_size: int = 20  # checkout, the consumer and concurrent saga deadlines
    hold_window_seconds: float = Field(
        default=3600, description="After payment, the buyer may cancel freely for this long.")
    stock_answer_timeout_seconds: float = Field(
        default=120, description="Cancel an order whose stock catalog has not answered by then.")
    checkout_late_after_seconds: float = Field(
        default=2.0, gt=0, lt=60,
        description="An order still waiting for its stock answer or its payment after this "
                    "long is late; see `checkout_late_orders_allowed`.")
    checkout_late_orders_allowed: int = Field(
        default=25, ge=1, le=1_000_000,
        description="While this many orders are late, cart writes and checkouts are answered "
                    "503 with Retry-After instead of queueing more behind them (nothing is "
                    "placed or charged).")
    checkout_in_flight_allowed: int = Field(
        default=8, ge=1, le=100_000,
        description="Cart writes and checkouts served at once by one process; later ones wait "
                    "for a turn (see `checkout_in_flight_wait_seconds`). Keep it at or below "
                    "`db_pool_max_size`, so they never queue for a database connection.")
    checkout_in_flight_wait_seconds: float = Field(
        default=0.5, ge=0, le=60,
        description="How long a cart write or checkout waits for its turn before it is "
                    "answered 503 with Retry-After (nothing is placed or charged).")
    reserve_for_seconds: int = Field(default=900, description="How long catalog holds stock.")
    ship_by_seconds: float = Field(default=3 * 86400, description="Paid orders ship by then.")
    deliver_by_seconds: float = Field(default=10 * 86400,
                                      description="Shipped orders arrive by then.")
    return_window_seconds: float = Field(default=15 * 86400,
                                         description="After delivery; then the sale is final.")
    payment_attempts: int = Field(default=5, description="Authorization tries after timeouts.")
    checkouts_per_minute: int = Field(
        default=10, ge=1, le=10_000,
        description="Checkouts one buyer may attempt a minute (card testing, code guessing).")
    top_up_recovery_seconds: float = Field(
        default=30, gt=0, le=3600,
        description="When a top-up its request did not settle (a crash, a provider timeout) "
                    "is settled by a deadline instead.")
    top_ups_per_hour: int = Field(default=10, ge=1, le=10_000,
                                  description="Token top-ups one buyer may attempt an hour.")
    voucher_lookups_per_minute: int = Field(default=30, ge=1, le=10_000,
                                            description="Voucher reads per caller a minute.")
    minor_monthly_cap_minor: dict[str, int] = Field(
        # About £100 a month in each market's currency (VND and JPY have no minor unit).
        default_factory=lambda: {
            "GBP": 10_000, "EUR": 12_000, "USD": 13_000, "IDR": 200_000_000, "MYR": 60_000,
            "PHP": 700_000, "SGD": 17_000, "THB": 450_000, "VND": 3_000_000, "MXN": 250_000,
            "BRL": 70_000, "JPY": 20_000},
        description="Monthly spending cap of buyers under 18, per currency (minor units): "
                    "orders and gift-token top-ups count against it. Every market's currency "
                    "needs one (start-up refuses a gap).")
    claim_token_secret: SecretStr = Field(
        default=SecretStr("dev-only-claims-change-me"),
        description="Verifies flash-deal claim tokens and attribution tokens; live signs them "
                    "with the same secret.")
    token_price_minor: dict[str, int] = Field(
        default_factory=lambda: {"GBP": 1, "EUR": 1, "USD": 1, "IDR": 150},
        description="What one gift token costs, per currency (minor units).")

    @field_validator("minor_monthly_cap_minor")
    @classmethod
    def _every_market_capped(cls, caps: dict[str, int]) -> dict[str, int]:
        """A currency without a cap would let a minor spend without limit in that market."""
        missing = sorted(set(MARKET_CURRENCIES.values()) - set(caps))
        if missing:
            raise ValueError(f"no monthly cap for buyers under 18 in {', '.join(missing)}")
        if any(cap < 0 for cap in caps.values()):
            raise ValueError("a cap is never negative")
        return caps
