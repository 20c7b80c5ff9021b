"""The webhooks service's settings: one place, from the environment."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from libs.settings import ServiceSettings

DEV_SECRET_KEY = "ZGV2LW9ubHktd2ViaG9vay1zZWNyZXRzLWtleS0zMmI="  # noqa: S105 - dev mode only


class WebhooksSettings(ServiceSettings):
    development_secrets: ClassVar[frozenset[str]] = frozenset({DEV_SECRET_KEY})
    service_name: str = "webhooks"
    http_port: int = 8006
    endpoint_secret_key: SecretStr | None = Field(
        default=None, description="Fernet key (url-safe base64 of 32 bytes) that encrypts "
                                  "endpoints' signing secrets at rest. Required outside dev mode.")
    delivery_concurrency: int = Field(default=32, gt=0, le=1000,
                                      description="Deliveries in flight per instance.")
    per_endpoint_concurrency: int = Field(default=4, gt=0, le=100,
                                          description="In flight to one endpoint at most.")
    connect_timeout_seconds: float = Field(default=3, gt=0, le=30)
    total_timeout_seconds: float = Field(default=10, gt=0, le=60)
    response_body_limit_bytes: int = Field(default=4096, gt=0, le=65536,
                                           description="Kept of each response, for the log.")
    retry_scale: float = Field(default=1.0, gt=0, le=1,
                               description="Shrinks the retry schedule (tests).")
    disable_after_seconds: float = Field(
        default=5 * 86400, gt=0, description="An endpoint failing this long is disabled.")
    rotation_overlap_seconds: float = Field(
        default=86400, gt=0, le=7 * 86400,
        description="After a rotation, deliveries carry both signatures this long.")
    poll_interval_seconds: float = Field(default=0.2, gt=0, le=10)
    delivery_log_retention_days: int = Field(default=30, gt=0, le=3650,
                                             description="Attempts and finished deliveries.")
    feed_retention_days: int = Field(default=30, gt=0, le=3650,
                                     description="Events in the pull feed.")
    retention_interval_seconds: float = Field(default=600, gt=0, le=86400)

    def secret_key(self) -> str:
        """The key for endpoint secrets; outside dev mode it must be configured."""
        if self.endpoint_secret_key is not None:
            return self.endpoint_secret_key.get_secret_value()
        if self.dev_mode:
            return DEV_SECRET_KEY
        raise RuntimeError("ENDPOINT_SECRET_KEY is required outside dev mode")
