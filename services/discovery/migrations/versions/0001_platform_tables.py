"""Platform tables: outbox, inbox, idempotency keys, event sequences, deadlines.

Revision ID: 0001
Revises:
"""

from libs.db.platform_tables import (
    create_platform_tables,
    create_second_pass_tables,
    drop_platform_tables,
    drop_second_pass_tables,
)

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_platform_tables()
    create_second_pass_tables()


def downgrade() -> None:
    drop_second_pass_tables()
    drop_platform_tables()
