"""Card numbers leave the database, and top-ups become persisted payment intents.

Card numbers: : a payment holds the provider's payment-method token
instead. Rows written before this held full card numbers until authorization (and forever for
orders cancelled before it); the column goes with them. An order still awaiting payment at
migration time has no method to charge: its authorization fails and the order is cancelled
(payment_failed), which hands its stock back. The column is blanked before it is dropped
(DROP COLUMN alone leaves the values in the table's pages until rows are rewritten).

Top-up intents: one row per top-up from request to outcome, keyed for the buyer's
Idempotency-Key, so a crash between the provider's capture and the platform's commit is
settled later by a deadline instead of losing the top-up or charging twice.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE payments ADD COLUMN payment_method text;
    UPDATE payments SET card_number = NULL WHERE card_number IS NOT NULL;
    ALTER TABLE payments DROP COLUMN card_number;

    CREATE TABLE topup_intents (
        id               uuid PRIMARY KEY,
        buyer_id         text        NOT NULL,
        tokens           integer     NOT NULL CHECK (tokens > 0),
        amount_minor     bigint      NOT NULL CHECK (amount_minor > 0),
        currency         char(3)     NOT NULL,
        payment_method   text        NOT NULL,
        card_last4       char(4)     NOT NULL,
        idempotency_key  text,
        status           text        NOT NULL CHECK (status IN ('open', 'succeeded', 'failed')),
        failure          text,
        payment_id       uuid,
        created_at       timestamptz NOT NULL DEFAULT now(),
        paid_at          timestamptz,
        settled_at       timestamptz,
        UNIQUE (buyer_id, idempotency_key)
    );
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE topup_intents;
    ALTER TABLE payments ADD COLUMN card_number text;
    ALTER TABLE payments DROP COLUMN payment_method;
    """)
