"""A deal's Redis epoch: how many times its claims state was rebuilt after Redis lost it.

A grant Redis decided carries the epoch it was decided under, and is recorded only while the
deal's epoch is still that one. A grant decided by a Redis that has since lost the deal, and
recorded after the rebuild counted what Postgres held, would otherwise be a unit granted twice.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.execute("ALTER TABLE deals ADD COLUMN redis_epoch integer NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE deals DROP COLUMN redis_epoch")
