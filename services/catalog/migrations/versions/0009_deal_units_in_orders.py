"""Units an order took from a flash deal's set-aside, so a cancelled order hands them back to
the deal (its claim may be checked out again) rather than to general stock at list price.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE deal_units_in_orders (
        order_id            uuid    NOT NULL,
        deal_id             uuid    NOT NULL,
        sku_id              uuid    NOT NULL,
        quantity            integer NOT NULL CHECK (quantity > 0),
        back_in_set_aside   boolean NOT NULL DEFAULT false,
        claim_went_to_stock boolean NOT NULL DEFAULT false,
        released_to_stock   boolean NOT NULL DEFAULT false,
        PRIMARY KEY (order_id, deal_id, sku_id)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE deal_units_in_orders")
