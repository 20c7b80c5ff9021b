"""Reservations expire through the platform's deadline engine: one deadline per active one.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.execute("""
    INSERT INTO deadlines (key, kind, due_at, next_at)
    SELECT order_id::text, 'reservation_expiry', expires_at, expires_at
    FROM reservations WHERE status = 'active' ORDER BY expires_at;
    """)


def downgrade() -> None:
    op.execute("DELETE FROM deadlines WHERE kind = 'reservation_expiry'")
