"""Platform tables and seller accounts.

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
    CREATE TABLE seller_accounts (
        seller_id    uuid PRIMARY KEY,
        shop_id      uuid        NOT NULL,
        market       char(2)     NOT NULL,
        tier         text        NOT NULL,
        health_score integer     NOT NULL CHECK (health_score BETWEEN 0 AND 100),
        standing     text        NOT NULL,
        opened_at    timestamptz NOT NULL
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE seller_accounts;")
    drop_platform_tables()
