"""Partnerships need the creator's word: a shop invites, the creator accepts. Rows from before
were made on the seller's word alone, so they become invitations the creator must accept.
Taps on a session's products are recorded (the attribution tokens they hand out credit sales).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE creator_partners RENAME COLUMN agreed_at TO invited_at;
    ALTER TABLE creator_partners
        ADD COLUMN status text NOT NULL DEFAULT 'invited'
            CHECK (status IN ('invited', 'active')),
        ADD COLUMN accepted_at timestamptz,
        ADD COLUMN creator_subject text;
    CREATE INDEX creator_partners_by_creator ON creator_partners (creator_id);

    CREATE TABLE product_taps (
        id          uuid PRIMARY KEY,
        session_id  uuid        NOT NULL,
        product_id  uuid        NOT NULL,
        buyer_id    text        NOT NULL,
        creator_id  text,
        tapped_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX product_taps_by_session ON product_taps (session_id, product_id);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE product_taps;
    DROP INDEX creator_partners_by_creator;
    ALTER TABLE creator_partners DROP COLUMN creator_subject, DROP COLUMN accepted_at,
        DROP COLUMN status;
    ALTER TABLE creator_partners RENAME COLUMN invited_at TO agreed_at;
    """)
