"""A deal's Redis epochs come from a sequence, so no epoch is ever handed out twice.

A rebuild that wrote Redis and then failed to commit leaves Redis at an epoch Postgres never
kept. With `redis_epoch + 1` the next rebuild would hand out that same number again, and a
grant decided against the dead state would then pass as one of the new epoch. A sequence
does not roll back: an epoch Postgres does not hold is dead for good, and Redis state found
at it is discarded (`use_cases/deals.py`).

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE deals ALTER COLUMN redis_epoch TYPE bigint;
    CREATE SEQUENCE deal_redis_epochs AS bigint;
    SELECT setval('deal_redis_epochs', coalesce((SELECT max(redis_epoch) FROM deals), 0) + 1,
                  false);
    """)


def downgrade() -> None:
    op.execute("""
    DROP SEQUENCE deal_redis_epochs;
    ALTER TABLE deals ALTER COLUMN redis_epoch TYPE integer;
    """)
