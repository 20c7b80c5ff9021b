"""Settings every service reads from its environment (pydantic-settings).

Each service subclasses `ServiceSettings` in its own `settings.py`; that subclass is the one place
where the service's configuration is declared.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32
"""The shortest signing or sealing secret accepted outside dev mode (256 bits of hex or text)."""
WEAK_SECRETS = frozenset({"dev-only-change-me", "dev-only-claims-change-me", "changeme",
                          "change-me", "secret", "password"})


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)
    development_secrets: ClassVar[frozenset[str]] = frozenset()
    """Values a service uses in dev mode when a secret is unset: never accepted outside it."""

    service_name: str = Field(description="Name used in logs, traces and as the CloudEvents source.")
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/socialcommerce",
        description="Connection URL of this service's own database role.",
    )
    db_schema: str = Field(default="", description="Schema this service owns; defaults to its name.")
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_max_connections: int = Field(
        default=128, ge=4, le=10_000,
        description="Connections to Redis one process opens at most; a command finding none "
                    "free waits up to 2 s for one, then fails as Redis unreachable (503).")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_partitions: int = 3
    kafka_idempotent_producer: bool = Field(
        default=True, description="Idempotent producing (Apache Kafka); off only for brokers "
                                  "without it, such as the quick local one.")
    kafka_fetch_max_wait_ms: int = Field(
        default=500, ge=1, le=10_000,
        description="The longest a consumer's fetch waits for records. Apache Kafka answers as "
                    "soon as one arrives; the quick local broker holds every fetch this long, "
                    "so each hop through it costs up to this much.")

    jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 shared secret (dev issuer). Either this or jwt_jwks_url."
    )
    jwt_jwks_url: str | None = Field(default=None, description="JWKS of the OIDC provider.")
    jwt_issuer: str = "socialcommerce-dev"
    jwt_audience: str = "socialcommerce"

    otel_exporter_otlp_endpoint: str | None = None
    otel_console_exporter: bool = False
    otel_sample_ratio: float = Field(
        default=1.0, ge=0.0, le=1.0,
        description="Share of traces recorded when exporting (a request's trace is kept or "
                    "dropped whole, and a caller's decision is followed).")
    log_level: str = "INFO"

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    db_pool_max_size: int = Field(default=10, ge=2, le=200,
                                  description="Postgres connections this instance may hold.")
    db_worker_pool_max_size: int = Field(
        default=8, ge=2, le=200,
        description="Postgres connections for the consumer, relay and background work.")
    http_workers: int = Field(default=1, ge=1, le=64,
                              description="Processes serving this service on one port.")
    root_path: str = Field(default="", description="Path prefix under the reverse proxy.")
    api_key_requests: int = Field(
        default=40, ge=1, le=100_000,
        description="The seller API's budget per API key: this many requests per "
                    "`api_key_window_seconds` (40 per 20 s: a burst of 40, then 2 a second, "
                    "like Shopify's REST bucket).")
    api_key_window_seconds: int = Field(default=20, ge=1, le=3600)

    consumer_group: str = Field(
        default="", description="Kafka consumer group; defaults to the service name.")
    run_relay: bool = True
    metrics_sample_seconds: float = Field(
        default=5.0, ge=0.5, le=300,
        description="How often the outbox and deadline backlogs are read into `/metrics`.")
    run_consumers: bool = True
    consumer_max_attempts: int = 5
    consumer_retry_base_seconds: float = 0.2
    relay_poll_interval_seconds: float = 1.0
    deadline_concurrency: int = Field(
        default=8, ge=1, le=256, description="Deadlines of different keys fired at once.")
    deadline_lease_seconds: float = Field(
        default=30, gt=0, description="A deadline held by an instance that died fires again after this.")
    deadline_max_hold_seconds: float = Field(
        default=600, gt=0, le=86_400,
        description="The longest a deadline whose handler calls out (a payment provider) keeps "
                    "its lease renewed; after it another instance may fire it again.")
    deadline_poll_interval_seconds: float = Field(
        default=1.0, gt=0, description="The longest a due deadline waits when no notification came.")
    retention_published_outbox_hours: float = 24 * 7
    retention_inbox_hours: float = Field(
        default=24 * 14, description="Must exceed Kafka's retention: older events cannot recur.")
    retention_idempotency_key_hours: float = 24
    dev_mode: bool = Field(
        default=False, description="Relaxes checks meant for production (e.g. loopback webhooks)."
    )

    jwt_max_age_seconds: int = Field(
        default=24 * 3600, ge=60, le=30 * 86_400,
        description="The longest lifetime (exp - iat) of an access token accepted.")

    @model_validator(mode="after")
    def _refuse_weak_secrets_outside_dev(self) -> Self:
        """Outside dev mode a service does not start with a secret left at its development
        default, empty, or shorter than `MIN_SECRET_LENGTH`: anyone could mint operator tokens
        or free claims with one. Every `SecretStr` setting is checked."""
        if self.dev_mode:
            return self
        problems = []
        if self.jwt_secret is None and self.jwt_jwks_url is None:
            problems.append("set JWT_SECRET or JWT_JWKS_URL")
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if not isinstance(value, SecretStr):
                continue
            text = value.get_secret_value()
            default = info.default
            if isinstance(default, SecretStr) and text == default.get_secret_value():
                problems.append(f"{name.upper()} is still its development default")
            elif text in self.development_secrets:
                problems.append(f"{name.upper()} is a development value")
            elif len(text) < MIN_SECRET_LENGTH or text.lower() in WEAK_SECRETS:
                problems.append(f"{name.upper()} must be at least {MIN_SECRET_LENGTH} "
                                "characters and not a well-known value")
        if problems:
            raise ValueError("outside dev mode: " + "; ".join(problems))
        return self

    @property
    def schema_name(self) -> str:
        return self.db_schema or self.service_name
