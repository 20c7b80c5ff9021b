"""Platform tables, sellers and shops.

Revision ID: 0001
Revises:
"""

from alembic import op

from libs.db.platform_tables import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_platform_tables()
    op.execute("""
    CREATE TABLE sellers (
        id            uuid PRIMARY KEY,
        owner_subject text        NOT NULL UNIQUE,
        legal_name    text        NOT NULL,
        country       char(2)     NOT NULL,
        business_type text        NOT NULL CHECK (business_type IN ('individual', 'company')),
        tier          text        NOT NULL CHECK (tier IN ('local', 'cross_border')),
        status        text        NOT NULL,
        created_at    timestamptz NOT NULL
    );
    CREATE INDEX sellers_listing ON sellers (created_at DESC, id DESC);
    CREATE TABLE shops (
        id        uuid PRIMARY KEY,
        seller_id uuid    NOT NULL REFERENCES sellers (id),
        market    char(2) NOT NULL,
        currency  char(3) NOT NULL,
        UNIQUE (seller_id, market)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE shops; DROP TABLE sellers;")
    drop_platform_tables()
