"""DDL of the tables every service has in its own schema: outbox, inbox, idempotency keys,
event sequence counters and deadlines.

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


DEADLINES_DDL = """
CREATE TABLE deadlines (
    id           bigserial   PRIMARY KEY,
    key          text        NOT NULL,
    kind         text        NOT NULL,
    due_at       timestamptz NOT NULL,
    warn_at      timestamptz,
    warned_at    timestamptz,
    next_at      timestamptz NOT NULL,
    payload      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    attempts     integer     NOT NULL DEFAULT 0,
    leased_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz,
    outcome      text CHECK (outcome IN ('fired', 'cancelled'))
);
CREATE INDEX deadlines_next ON deadlines (next_at) WHERE done_at IS NULL;
CREATE INDEX deadlines_pending_by_key ON deadlines (key, kind) WHERE done_at IS NULL;
CREATE INDEX deadlines_leased ON deadlines (key)
    WHERE done_at IS NULL AND leased_until IS NOT NULL;
CREATE INDEX deadlines_done_at ON deadlines (done_at) WHERE done_at IS NOT NULL;
"""
"""The deadline engine's table (`libs.deadlines`)."""

SECOND_PASS_DDL = """
ALTER TABLE outbox ADD COLUMN sequence bigint;
CREATE TABLE event_sequences (
    topic text   NOT NULL,
    key   text   NOT NULL,
    last  bigint NOT NULL,
    PRIMARY KEY (topic, key)
);
""" + DEADLINES_DDL
"""Per-aggregate event sequence numbers (`libs.outbox`) and deadlines (`libs.deadlines`)."""


def create_platform_tables() -> None:
    from alembic import op

    op.execute(PLATFORM_TABLES_DDL)


def create_second_pass_tables() -> None:
    from alembic import op

    op.execute(SECOND_PASS_DDL)


def drop_second_pass_tables() -> None:
    from alembic import op

    op.execute("DROP TABLE deadlines; DROP TABLE event_sequences; "
               "ALTER TABLE outbox DROP COLUMN sequence;")


def drop_platform_tables() -> None:
    from alembic import op

    op.execute("DROP TABLE idempotency_keys; DROP TABLE inbox; DROP TABLE outbox;")
