"""Pending timers by order: a deadline is dropped once what it waited for has happened.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("CREATE INDEX timers_pending_by_order ON timers (order_id) WHERE done_at IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX timers_pending_by_order")
