"""The audit trail of seller onboarding decisions.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE seller_status_changes (
        id         bigserial PRIMARY KEY,
        seller_id  uuid        NOT NULL REFERENCES sellers (id),
        status     text        NOT NULL,
        actor      text        NOT NULL,
        reason     text,
        changed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX seller_status_changes_by_seller ON seller_status_changes (seller_id, id);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE seller_status_changes;")
