"""Flash deals' stock is a reservation keyed by the deal; its units move out one order or one
expired claim at a time, so a reservation line may reach zero.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE reservation_lines DROP CONSTRAINT reservation_lines_quantity_check;
    ALTER TABLE reservation_lines ADD CONSTRAINT reservation_lines_quantity_check
        CHECK (quantity >= 0);
    """)


def downgrade() -> None:
    op.execute("""
    ALTER TABLE reservation_lines DROP CONSTRAINT reservation_lines_quantity_check;
    ALTER TABLE reservation_lines ADD CONSTRAINT reservation_lines_quantity_check
        CHECK (quantity > 0);
    """)
