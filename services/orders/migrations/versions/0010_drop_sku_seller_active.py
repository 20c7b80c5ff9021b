"""A seller's standing is read from `inactive_sellers` at purchase time; the copy on each SKU
(which could miss a verification racing the listing) goes.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute("ALTER TABLE catalog_skus DROP COLUMN seller_active")


def downgrade() -> None:
    op.execute("ALTER TABLE catalog_skus ADD COLUMN seller_active boolean NOT NULL DEFAULT true")
