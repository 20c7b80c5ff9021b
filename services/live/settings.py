from __future__ import annotations

from pydantic import Field, SecretStr

from libs.settings import ServiceSettings


class LiveSettings(ServiceSettings):
    service_name: str = "live"
    http_port: int = 8003
    claim_token_secret: SecretStr = Field(
        default=SecretStr("dev-only-claims-change-me"),
        description="Signs flash-deal claim tokens and attribution tokens; live and orders "
                    "must share it.")
    attribution_window_seconds: int = Field(
        default=7 * 24 * 3600, ge=60, le=30 * 24 * 3600,
        description="How long a tap on a product credits its session and creator (last touch "
                    "wins).")
    claim_attempts_per_minute: int = Field(
        default=60, ge=1, le=100_000,
        description="Flash-deal claim attempts one buyer may make on one deal in any minute "
                    "(bots hammering a deal meet this before the deal's own per-buyer limit; "
                    "counted in the claim's own Redis script).")
    taps_per_minute: int = Field(default=120, ge=1, le=10_000,
                                 description="Product taps one buyer may make a minute.")
    video_window_seconds: int = Field(
        default=3600, ge=60, le=7 * 24 * 3600,
        description="A viewer's views, taps and add-to-carts of one video count once in this "
                    "window (a reload is not a second view).")
    video_interactions_per_minute: int = Field(
        default=120, ge=1, le=10_000,
        description="Views, taps and add-to-carts one viewer may record a minute (bots meet "
                    "this first).")
    payment_window_seconds: int = Field(
        default=300, ge=1, le=3600, description="How long a claim token can be checked out.")
    claim_grace_seconds: int = Field(
        default=30, ge=0, le=600,
        description="A claim expires this long after its token does, so a checkout made at the "
                    "last second reaches live (by event) before the unit is handed back.")
    sold_out_memory_seconds: float = Field(
        default=0.2, ge=0, le=5,
        description="After Redis says a deal is sold out, this instance refuses its claims "
                    "itself for this long (0: always ask Redis). A unit handed back on another "
                    "instance is offered here at most this much later.")
    claim_record_grace_seconds: float = Field(
        default=15, ge=0.5, le=600,
        description="A grant Redis decided that Postgres has not recorded after this long is "
                    "barred from being recorded and its units go back (the claims audit): its "
                    "instance died or stalled in between.")
    claim_audit_interval_seconds: float = Field(
        default=5, ge=0.1, le=600,
        description="How often each deal's claims audit runs while the deal is in play.")
    replay_window_events: int = Field(
        default=2000, ge=100, description="Real-time events kept per session for reconnection.")
    connection_queue_size: int = Field(
        default=256, ge=8, description="Events buffered per connection before a slow client "
                                       "is disconnected (it reconnects with its last event id).")
    chat_messages_per_window: int = Field(default=5, ge=1, description="Per user and session.")
    chat_window_seconds: float = Field(default=10, gt=0)
    chat_max_length: int = Field(default=300, ge=1, le=2000)
    host_share_percent: int = Field(default=70, ge=0, le=100,
                                    description="The host's share of a gift's tokens.")
    units_left_interval_seconds: float = Field(
        default=0.25, gt=0, description="At most one 'units left' update per deal this often.")
    viewers_interval_seconds: float = Field(
        default=1.0, gt=0, description="At most one viewer-count update per session this often.")

    @property
    def handle_key(self) -> bytes:
        """The key of viewers' public handles (see domain/chat.py `public_handle`)."""
        from services.live.domain.chat import handle_key

        return handle_key(self.claim_token_secret.get_secret_value())
