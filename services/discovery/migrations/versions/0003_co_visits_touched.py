"""The items whose co-visitation changed since the last pruning (so pruning reads only them).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE co_visits_touched (
        market  char(2) NOT NULL,
        item_id uuid    NOT NULL,
        PRIMARY KEY (market, item_id)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE co_visits_touched")
