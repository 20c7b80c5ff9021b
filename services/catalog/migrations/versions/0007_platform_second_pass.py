"""Platform, second pass: per-aggregate event sequence numbers and the deadline engine's table.

Revision ID: 0007
Revises: 0006
"""

from libs.db.platform_tables import create_second_pass_tables, drop_second_pass_tables

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    create_second_pass_tables()


def downgrade() -> None:
    drop_second_pass_tables()
