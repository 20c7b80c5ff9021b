"""Commission news that reaches live before the order line it is about: orders publishes
commissions and orders on different topics, so `commission.accrued` may be handled before
`order.placed`. It waits here and is applied when the line arrives.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE video_commissions_pending (
        id            bigserial PRIMARY KEY,
        order_id      uuid   NOT NULL,
        sku_id        uuid,
        creator_id    text   NOT NULL,
        amount_minor  bigint NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX video_commissions_pending_by_order ON video_commissions_pending (order_id, id);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE video_commissions_pending")
