"""Platform tables: outbox, inbox, idempotency keys.

Revision ID: 0001
Revises:
"""

from libs.db.platform_tables import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_platform_tables()


def downgrade() -> None:
    drop_platform_tables()
