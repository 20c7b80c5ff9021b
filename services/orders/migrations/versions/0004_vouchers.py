"""Vouchers and their redemptions; discounts on orders.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE vouchers (
        code               text PRIMARY KEY,
        seller_id          uuid,
        kind               text        NOT NULL CHECK (kind IN ('fixed', 'percent')),
        value              bigint      NOT NULL CHECK (value > 0),
        currency           char(3)     NOT NULL,
        min_spend_minor    bigint      NOT NULL DEFAULT 0,
        max_discount_minor bigint,
        starts_at          timestamptz NOT NULL,
        ends_at            timestamptz NOT NULL,
        total_limit        integer,
        per_buyer_limit    integer,
        used_count         integer     NOT NULL DEFAULT 0,
        created_by         text        NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        CHECK (total_limit IS NULL OR used_count <= total_limit)
    );
    CREATE TABLE voucher_redemptions (
        code         text        NOT NULL REFERENCES vouchers (code),
        buyer_id     text        NOT NULL,
        checkout_id  uuid        NOT NULL,
        order_id     uuid        NOT NULL,
        amount_minor bigint      NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (code, order_id)
    );
    CREATE INDEX voucher_redemptions_by_buyer ON voucher_redemptions (code, buyer_id);
    ALTER TABLE orders ADD COLUMN discount_minor bigint NOT NULL DEFAULT 0;
    """)


def downgrade() -> None:
    op.execute("""
    ALTER TABLE orders DROP COLUMN discount_minor;
    DROP TABLE voucher_redemptions; DROP TABLE vouchers;
    """)
