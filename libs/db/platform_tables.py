"""DDL of the tables every service has in its own schema: outbox, inbox, idempotency keys.

Each service's first migration calls `create_platform_tables()`, so the tables live in (and
migrate with) the service's schema and its own role owns them.
"""

from __future__ import annotations

PLATFORM_TABLES_DDL = """
CREATE TABLE outbox (
    seq             bigserial PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    topic           text        NOT NULL,
    event_key       text        NOT NULL,
    event_type      text        NOT NULL,
    dataschema      text,
    source          text        NOT NULL,
    payload         jsonb       NOT NULL,
    trace           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_pending_by_key ON outbox (event_key, seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE inbox (
    consumer_group text        NOT NULL,
    event_id       text        NOT NULL,
    event_type     text        NOT NULL,
    topic          text        NOT NULL,
    processed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
);

CREATE TABLE idempotency_keys (
    scope            text        NOT NULL,
    key              text        NOT NULL,
    request_hash     text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('in_flight', 'completed')),
    status_code      integer,
    response_body    jsonb,
    response_headers jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
"""


def create_platform_tables() -> None:
    from alembic import op

    op.execute(PLATFORM_TABLES_DDL)


def drop_platform_tables() -> None:
    from alembic import op

    op.execute("DROP TABLE idempotency_keys; DROP TABLE inbox; DROP TABLE outbox;")
