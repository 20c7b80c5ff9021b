"""Sellers' API keys as catalog announces them, so a seller's system can ship and read with
the same key it uses on catalog.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from libs.auth.api_key_replica import DDL

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute(DDL)


def downgrade() -> None:
    op.execute("DROP TABLE seller_api_keys")
