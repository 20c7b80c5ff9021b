"""Shipping quotes from fulfillment's rate cards, SKU weights to price them, and buyers' return
requests.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE catalog_skus ADD COLUMN weight_grams integer;

    ALTER TABLE orders ADD COLUMN market char(2), ADD COLUMN zone text,
                       ADD COLUMN shipping_speed text NOT NULL DEFAULT 'standard',
                       ADD COLUMN shipping_quote jsonb,
                       ADD COLUMN parcels_delivered integer NOT NULL DEFAULT 0;

    CREATE TABLE shipping_rate_cards (
        market          char(2) PRIMARY KEY,
        card_version    integer NOT NULL,
        card            jsonb NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE returns (
        id          uuid PRIMARY KEY,
        order_id    uuid NOT NULL REFERENCES orders(id),
        buyer_id    text NOT NULL,
        lines       jsonb NOT NULL,
        reason      text NOT NULL,
        status      text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX returns_order ON returns (order_id);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE returns, shipping_rate_cards;
    ALTER TABLE orders DROP COLUMN market, DROP COLUMN zone, DROP COLUMN shipping_speed,
                       DROP COLUMN shipping_quote, DROP COLUMN parcels_delivered;
    ALTER TABLE catalog_skus DROP COLUMN weight_grams;
    """)
