"""The fulfillment service's settings: one place, from the environment."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from libs.settings import ServiceSettings

DEV_CARRIER_SECRET = "whsec_ZGV2LW9ubHktY2Fycmllci1zZWNyZXQtY2hhbmdlLW1l"  # noqa: S105 - dev mode only


class FulfillmentSettings(ServiceSettings):
    development_secrets: ClassVar[frozenset[str]] = frozenset({DEV_CARRIER_SECRET})
    service_name: str = "fulfillment"
    http_port: int = 8004
    seconds_per_day: float = Field(
        default=86_400, gt=0, le=86_400,
        description="How long a day of promises lasts. Tests and demos shrink it; production "
                    "keeps 86400.")
    seller_handling_days: int = Field(default=2, ge=0, le=30,
                                      description="Days a self-shipping seller has to ship.")
    seller_transit_days: dict[str, int] = Field(
        default_factory=lambda: {"standard": 3, "express": 1},
        description="Days a self-shipped parcel is promised to take, by speed.")
    promise_warning_fraction: float = Field(
        default=0.25, gt=0, lt=1,
        description="A promise is at risk when this share of its time is left.")
    carrier_simulator: bool = Field(
        default=True, description="Move shipped parcels along their tracking states by "
                                  "themselves (off when a real carrier posts updates).")
    carrier_step_seconds: float = Field(default=3600, gt=0, le=7 * 86_400,
                                        description="Simulated time between tracking states.")
    carrier_failure_rate: float = Field(default=0.02, ge=0, le=1,
                                        description="Share of simulated deliveries that fail.")
    carrier_webhook_secret: SecretStr | None = Field(
        default=None, description="Standard Webhooks secret (whsec_...) carriers sign tracking "
                                  "updates with. Dev mode uses a built-in one when unset.")
    pick_wave_size: int = Field(default=50, gt=0, le=1000)

    def carrier_secret(self) -> str | None:
        """The carriers' signing secret; none outside dev mode unless configured."""
        if self.carrier_webhook_secret is not None:
            return self.carrier_webhook_secret.get_secret_value()
        return DEV_CARRIER_SECRET if self.dev_mode else None
