"""A category's tax class (standard, reduced, zero), inherited when not set: VAT markets tax
a product at its category's rate.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE categories ADD COLUMN tax_class text
        CHECK (tax_class IN ('standard', 'reduced', 'zero'));
    """)


def downgrade() -> None:
    op.execute("ALTER TABLE categories DROP COLUMN tax_class")
