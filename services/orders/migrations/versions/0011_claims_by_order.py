"""A redeemed flash-deal claim names the order it went into, so cancelling that order before
it is paid lets the buyer check the claim out again (until the claim expires).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE redeemed_claims ADD COLUMN order_id uuid;
    CREATE INDEX redeemed_claims_by_order ON redeemed_claims (order_id);
    """)


def downgrade() -> None:
    op.execute("ALTER TABLE redeemed_claims DROP COLUMN order_id")
