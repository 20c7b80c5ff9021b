"""Taxes on orders: each listing's tax class and whether its seller ships from abroad (from
catalog's events); each order's tax, the part of it added on top of prices (US sales tax),
who collects it and the state it was charged for; each line's rate, tax and share of the
order's discount; each refund's tax.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE catalog_skus
        ADD COLUMN tax_class text NOT NULL DEFAULT 'standard'
            CHECK (tax_class IN ('standard', 'reduced', 'zero')),
        ADD COLUMN cross_border boolean NOT NULL DEFAULT false;
    ALTER TABLE orders
        ADD COLUMN tax_minor bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
        ADD COLUMN tax_added_minor bigint NOT NULL DEFAULT 0 CHECK (tax_added_minor >= 0),
        ADD COLUMN tax_kind text CHECK (tax_kind IN ('vat', 'sales_tax')),
        ADD COLUMN tax_collected_by text CHECK (tax_collected_by IN ('platform', 'seller')),
        ADD COLUMN tax_region text;
    ALTER TABLE order_lines
        ADD COLUMN tax_rate_bps integer NOT NULL DEFAULT 0,
        ADD COLUMN tax_minor bigint NOT NULL DEFAULT 0,
        ADD COLUMN discount_minor bigint NOT NULL DEFAULT 0;
    ALTER TABLE refunds ADD COLUMN tax_minor bigint NOT NULL DEFAULT 0;
    """)


def downgrade() -> None:
    op.execute("""
    ALTER TABLE refunds DROP COLUMN tax_minor;
    ALTER TABLE order_lines DROP COLUMN discount_minor, DROP COLUMN tax_minor,
        DROP COLUMN tax_rate_bps;
    ALTER TABLE orders DROP COLUMN tax_region, DROP COLUMN tax_collected_by,
        DROP COLUMN tax_kind, DROP COLUMN tax_added_minor, DROP COLUMN tax_minor;
    ALTER TABLE catalog_skus DROP COLUMN cross_border, DROP COLUMN tax_class;
    """)
