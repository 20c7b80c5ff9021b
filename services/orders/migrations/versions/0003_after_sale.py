"""Shipping and after-sale: timer payloads, captures and refunds, commission rates and ledger.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE timers ADD COLUMN payload jsonb NOT NULL DEFAULT '{}'::jsonb;
    ALTER TABLE payments ADD COLUMN captured_minor bigint NOT NULL DEFAULT 0,
                         ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0,
                         ADD CONSTRAINT refunds_within_capture
                             CHECK (refunded_minor <= greatest(captured_minor, 0));
    ALTER TABLE orders ADD COLUMN carrier text, ADD COLUMN tracking_number text;

    CREATE TABLE refunds (
        id           uuid PRIMARY KEY,
        order_id     uuid        NOT NULL REFERENCES orders (id),
        amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
        reason       text        NOT NULL,
        reference    text        NOT NULL,
        status       text        NOT NULL CHECK (status IN ('pending', 'done')),
        lines        jsonb       NOT NULL DEFAULT '{}'::jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (order_id, reference)
    );

    CREATE TABLE commission_rates (
        product_id uuid PRIMARY KEY,
        seller_id  uuid        NOT NULL,
        rate_bps   integer     NOT NULL CHECK (rate_bps BETWEEN 0 AND 5000),
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE order_commissions (
        order_id     uuid    NOT NULL REFERENCES orders (id),
        sku_id       uuid    NOT NULL,
        creator_id   text    NOT NULL,
        seller_id    uuid    NOT NULL,
        amount_minor bigint  NOT NULL,
        reversed_minor bigint NOT NULL DEFAULT 0,
        currency     char(3) NOT NULL,
        status       text    NOT NULL CHECK (status IN ('accrued', 'payable', 'reversed')),
        PRIMARY KEY (order_id, sku_id)
    );
    CREATE INDEX order_commissions_by_creator ON order_commissions (creator_id);
    CREATE TABLE ledger_entries (
        id           bigserial PRIMARY KEY,
        txn_id       uuid        NOT NULL,
        order_id     uuid        NOT NULL,
        account      text        NOT NULL,
        amount_minor bigint      NOT NULL,
        currency     char(3)     NOT NULL,
        kind         text        NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ledger_entries_by_account ON ledger_entries (account);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE ledger_entries; DROP TABLE order_commissions; DROP TABLE commission_rates;
    DROP TABLE refunds;
    ALTER TABLE orders DROP COLUMN carrier, DROP COLUMN tracking_number;
    ALTER TABLE payments DROP CONSTRAINT refunds_within_capture, DROP COLUMN captured_minor,
                         DROP COLUMN refunded_minor;
    ALTER TABLE timers DROP COLUMN payload;
    """)
