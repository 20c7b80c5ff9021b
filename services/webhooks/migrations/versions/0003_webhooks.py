"""Webhooks: sellers' endpoints, the public events each seller may read (the pull feed and
the bodies delivered), deliveries with their attempts, sellers' standing and API keys.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from libs.auth.api_key_replica import DDL as API_KEYS

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute(API_KEYS)
    op.execute("""
    CREATE TABLE sellers (
        seller_id   uuid PRIMARY KEY,
        status      text NOT NULL
    );

    CREATE TABLE events (
        seq             bigserial PRIMARY KEY,
        event_id        uuid NOT NULL UNIQUE,
        seller_id       uuid NOT NULL,
        type            text NOT NULL,
        topic           text NOT NULL,
        aggregate_id    text NOT NULL,
        sequence        bigint,
        occurred_at     timestamptz NOT NULL,
        data            jsonb NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX events_feed ON events (seller_id, seq);

    CREATE TABLE endpoints (
        id              uuid PRIMARY KEY,
        seller_id       uuid NOT NULL,
        url             text NOT NULL,
        description     text NOT NULL DEFAULT '',
        event_types     text[] NOT NULL,
        active          boolean NOT NULL DEFAULT true,
        disabled_reason text,
        secret          bytea NOT NULL,
        old_secret      bytea,
        old_secret_until timestamptz,
        failing_since   timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX endpoints_seller ON endpoints (seller_id, id);

    CREATE TABLE deliveries (
        id              uuid PRIMARY KEY,
        endpoint_id     uuid NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        event_seq       bigint NOT NULL REFERENCES events(seq),
        aggregate_id    text NOT NULL,
        status          text NOT NULL,
        attempts        integer NOT NULL DEFAULT 0,
        next_at         timestamptz,
        leased_until    timestamptz,
        last_status     integer,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, event_seq)
    );
    CREATE INDEX deliveries_due ON deliveries (next_at) WHERE status IN ('pending', 'delivering');
    CREATE INDEX deliveries_in_order ON deliveries (endpoint_id, aggregate_id, event_seq)
        WHERE status IN ('pending', 'delivering');
    CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, created_at);

    CREATE TABLE attempts (
        id              bigserial PRIMARY KEY,
        delivery_id     uuid NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        at              timestamptz NOT NULL DEFAULT now(),
        url             text NOT NULL,
        status_code     integer,
        latency_ms      integer NOT NULL,
        response        text,
        error           text,
        next_at         timestamptz
    );
    CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE attempts, deliveries, endpoints, events, sellers, seller_api_keys")
