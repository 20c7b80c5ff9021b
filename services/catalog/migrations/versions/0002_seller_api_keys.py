"""Seller API keys, stored as digests.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE seller_api_keys (
        id           uuid PRIMARY KEY,
        seller_id    uuid        NOT NULL REFERENCES sellers (id),
        name         text        NOT NULL,
        prefix       text        NOT NULL UNIQUE,
        digest       text        NOT NULL,
        created_at   timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at   timestamptz
    );
    CREATE INDEX seller_api_keys_by_seller ON seller_api_keys (seller_id, created_at DESC);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE seller_api_keys;")
