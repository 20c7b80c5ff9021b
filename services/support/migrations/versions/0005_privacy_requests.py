"""Privacy requests: a buyer's data export or erasure, and every service's answer to it.

`requester` names the buyer while the request is open (they read its status) and is replaced
by the pseudonym once an erasure completes; an export's pieces are kept until its archive
expires.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE privacy_requests (
        id            uuid PRIMARY KEY,
        kind          text        NOT NULL CHECK (kind IN ('export', 'erasure')),
        requester     text        NOT NULL,
        requested_by  text        NOT NULL,
        pseudonym     text,
        status        text        NOT NULL CHECK (status IN ('open', 'completed')),
        services      text[]      NOT NULL,
        requested_at  timestamptz NOT NULL DEFAULT now(),
        due_at        timestamptz NOT NULL,
        completed_at  timestamptz,
        archive_expires_at timestamptz,
        archive_expired    boolean NOT NULL DEFAULT false
    );
    CREATE INDEX privacy_requests_by_requester ON privacy_requests (requester, requested_at);
    CREATE UNIQUE INDEX privacy_requests_one_open
        ON privacy_requests (requester, kind) WHERE status = 'open';

    CREATE TABLE privacy_answers (
        request_id    uuid    NOT NULL REFERENCES privacy_requests (id),
        service       text    NOT NULL,
        part          integer NOT NULL CHECK (part >= 1),
        parts         integer NOT NULL CHECK (parts >= part),
        content       text,
        redacted      integer,
        pseudonymised integer,
        answered_at   timestamptz NOT NULL,
        PRIMARY KEY (request_id, service, part)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE privacy_answers; DROP TABLE privacy_requests;")
