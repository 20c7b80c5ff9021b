"""Catalog read model, carts, orders and their saga, payments, durable timers.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE catalog_skus (
        sku_id         uuid PRIMARY KEY,
        product_id     uuid        NOT NULL,
        seller_id      uuid        NOT NULL,
        price_minor    bigint      NOT NULL,
        currency       char(3)     NOT NULL,
        market         char(2)     NOT NULL,
        age_restricted boolean     NOT NULL,
        product_live   boolean     NOT NULL,
        seller_active  boolean     NOT NULL DEFAULT true,
        updated_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX catalog_skus_by_product ON catalog_skus (product_id);
    CREATE INDEX catalog_skus_by_seller ON catalog_skus (seller_id);
    CREATE TABLE inactive_sellers (seller_id uuid PRIMARY KEY);

    CREATE TABLE cart_lines (
        buyer_id         text        NOT NULL,
        sku_id           uuid        NOT NULL,
        seller_id        uuid        NOT NULL,
        quantity         integer     NOT NULL CHECK (quantity > 0),
        unit_price_minor bigint      NOT NULL,
        currency         char(3)     NOT NULL,
        source           jsonb       NOT NULL DEFAULT '{}'::jsonb,
        added_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (buyer_id, sku_id)
    );

    CREATE TABLE orders (
        id              uuid PRIMARY KEY,
        checkout_id     uuid        NOT NULL,
        buyer_id        text        NOT NULL,
        seller_id       uuid        NOT NULL,
        currency        char(3)     NOT NULL,
        subtotal_minor  bigint      NOT NULL,
        shipping_minor  bigint      NOT NULL,
        status          text        NOT NULL,
        cancel_reason   text,
        card_last4      text,
        shipping_address jsonb      NOT NULL,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
    );
    CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at DESC, id DESC);
    CREATE INDEX orders_by_seller ON orders (seller_id, created_at DESC, id DESC);
    CREATE TABLE order_lines (
        order_id         uuid    NOT NULL REFERENCES orders (id),
        sku_id           uuid    NOT NULL,
        quantity         integer NOT NULL,
        unit_price_minor bigint  NOT NULL,
        source           jsonb   NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (order_id, sku_id)
    );
    CREATE TABLE order_timeline (
        id       bigserial PRIMARY KEY,
        order_id uuid        NOT NULL REFERENCES orders (id),
        status   text        NOT NULL,
        note     text,
        at       timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX order_timeline_by_order ON order_timeline (order_id, id);

    CREATE TABLE payments (
        order_id       uuid PRIMARY KEY REFERENCES orders (id),
        payment_id     uuid,
        status         text        NOT NULL,
        amount_minor   bigint      NOT NULL,
        currency       char(3)     NOT NULL,
        card_number    text,
        attempts       integer     NOT NULL DEFAULT 0,
        updated_at     timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE timers (
        id           bigserial PRIMARY KEY,
        order_id     uuid        NOT NULL REFERENCES orders (id),
        kind         text        NOT NULL,
        due_at       timestamptz NOT NULL,
        leased_until timestamptz,
        attempts     integer     NOT NULL DEFAULT 0,
        done_at      timestamptz
    );
    CREATE INDEX timers_due ON timers (due_at) WHERE done_at IS NULL;

    -- The built-in payment simulator keeps what a real provider keeps: its own record of each
    -- idempotency key and what it answered.
    CREATE TABLE simulated_provider_calls (
        idempotency_key text PRIMARY KEY,
        operation       text        NOT NULL,
        payment_id      uuid        NOT NULL,
        outcome         text        NOT NULL,
        amount_minor    bigint,
        created_at      timestamptz NOT NULL DEFAULT now()
    );
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE simulated_provider_calls; DROP TABLE timers; DROP TABLE payments;
    DROP TABLE order_timeline; DROP TABLE order_lines; DROP TABLE orders; DROP TABLE cart_lines;
    DROP TABLE inactive_sellers; DROP TABLE catalog_skus;
    """)
