"""Flash-deal claims redeemed at checkout (a claim buys once); paid gift-token top-ups.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE redeemed_claims (
        claim_id     uuid PRIMARY KEY,
        buyer_id     text        NOT NULL,
        checkout_id  uuid        NOT NULL,
        redeemed_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE wallet_topups (
        id            uuid PRIMARY KEY,
        buyer_id      text        NOT NULL,
        tokens        integer     NOT NULL CHECK (tokens > 0),
        amount_minor  bigint      NOT NULL CHECK (amount_minor > 0),
        currency      char(3)     NOT NULL,
        payment_id    uuid        NOT NULL,
        card_last4    char(4)     NOT NULL,
        paid_at       timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX wallet_topups_by_buyer ON wallet_topups (buyer_id, paid_at DESC);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE wallet_topups; DROP TABLE redeemed_claims;")
