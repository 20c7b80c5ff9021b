"""A seller's standing fails closed: orders sells only from sellers it has heard catalog
verify (or reinstate). `inactive_sellers` listed the ones that may not sell, so a seller whose
listing arrived before its `seller.registered` counted as active.

Sellers already known are carried over: those listed inactive stay inactive, and every other
seller orders holds listings of becomes active, which is what catalog had told it (catalog
publishes listings only of verified sellers).

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE seller_standing (
        seller_id  uuid PRIMARY KEY,
        active     boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO seller_standing (seller_id, active)
        SELECT seller_id, false FROM inactive_sellers;
    INSERT INTO seller_standing (seller_id, active)
        SELECT DISTINCT seller_id, true FROM catalog_skus
        ON CONFLICT (seller_id) DO NOTHING;
    DROP TABLE inactive_sellers;
    """)


def downgrade() -> None:
    op.execute("""
    CREATE TABLE inactive_sellers (seller_id uuid PRIMARY KEY);
    INSERT INTO inactive_sellers SELECT seller_id FROM seller_standing WHERE NOT active;
    DROP TABLE seller_standing;
    """)
