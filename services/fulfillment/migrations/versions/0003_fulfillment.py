"""Fulfillment: warehouses, what it knows of sellers and SKUs, inbound plans, stock with its
ledger, fulfillment orders and their parcels with tracking history, returns, FBT fees and rate
cards.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE warehouses (
        id              uuid PRIMARY KEY,
        code            text NOT NULL UNIQUE,
        name            text NOT NULL,
        market          char(2) NOT NULL,
        country         char(2) NOT NULL,
        postcode        text NOT NULL,
        address         text NOT NULL,
        zone            text NOT NULL,
        timezone        text NOT NULL,
        cutoff          time NOT NULL,
        handling_days   integer NOT NULL DEFAULT 0 CHECK (handling_days BETWEEN 0 AND 30),
        zones_served    text[] NOT NULL,
        services        jsonb NOT NULL,
        capacity_units  bigint NOT NULL CHECK (capacity_units > 0),
        active          boolean NOT NULL DEFAULT true,
        created_at      timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE sellers (
        seller_id   uuid PRIMARY KEY,
        status      text NOT NULL,
        market      char(2)
    );

    CREATE TABLE skus (
        sku_id      uuid PRIMARY KEY,
        seller_id   uuid NOT NULL,
        product_id  uuid NOT NULL
    );
    CREATE INDEX skus_seller ON skus (seller_id);

    CREATE TABLE inbound_plans (
        id              uuid PRIMARY KEY,
        seller_id       uuid NOT NULL,
        warehouse_id    uuid NOT NULL REFERENCES warehouses(id),
        status          text NOT NULL,
        ship_from       jsonb NOT NULL,
        carrier         text,
        tracking_number text,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
    );
    CREATE INDEX inbound_plans_seller ON inbound_plans (seller_id, id);

    CREATE TABLE inbound_lines (
        inbound_id  uuid NOT NULL REFERENCES inbound_plans(id),
        sku_id      uuid NOT NULL,
        planned     integer NOT NULL CHECK (planned >= 0),
        good        integer, damaged integer, missing integer, unexpected integer,
        PRIMARY KEY (inbound_id, sku_id)
    );

    CREATE TABLE inbound_cartons (
        inbound_id      uuid NOT NULL REFERENCES inbound_plans(id),
        number          integer NOT NULL,
        label           text NOT NULL UNIQUE,
        weight_grams    integer NOT NULL,
        length_mm       integer NOT NULL, width_mm integer NOT NULL, height_mm integer NOT NULL,
        contents        jsonb NOT NULL,
        PRIMARY KEY (inbound_id, number)
    );

    CREATE TABLE stock (
        warehouse_id    uuid NOT NULL REFERENCES warehouses(id),
        sku_id          uuid NOT NULL,
        seller_id       uuid NOT NULL,
        fulfillable     bigint NOT NULL DEFAULT 0 CHECK (fulfillable >= 0),
        reserved        bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        inbound         bigint NOT NULL DEFAULT 0 CHECK (inbound >= 0),
        unfulfillable   bigint NOT NULL DEFAULT 0 CHECK (unfulfillable >= 0),
        PRIMARY KEY (warehouse_id, sku_id)
    );
    CREATE INDEX stock_sku ON stock (sku_id);
    CREATE INDEX stock_seller ON stock (seller_id);

    CREATE TABLE stock_movements (
        id              bigserial PRIMARY KEY,
        warehouse_id    uuid NOT NULL,
        sku_id          uuid NOT NULL,
        kind            text NOT NULL,
        d_fulfillable   bigint NOT NULL, d_reserved bigint NOT NULL,
        d_inbound       bigint NOT NULL, d_unfulfillable bigint NOT NULL,
        reference       text NOT NULL,
        at              timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX stock_movements_sku ON stock_movements (warehouse_id, sku_id, id);

    CREATE TABLE fulfillment_orders (
        order_id        uuid PRIMARY KEY,
        seller_id       uuid NOT NULL,
        buyer_id        text NOT NULL,
        market          char(2) NOT NULL,
        method          text NOT NULL,
        status          text NOT NULL,
        ship_to         jsonb NOT NULL,
        zone            text NOT NULL,
        speed           text NOT NULL,
        lines           jsonb NOT NULL,
        short           jsonb NOT NULL DEFAULT '{}',
        ship_by         timestamptz NOT NULL,
        deliver_by      timestamptz NOT NULL,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
    );
    CREATE INDEX fulfillment_orders_seller ON fulfillment_orders (seller_id, order_id);

    CREATE TABLE parcels (
        id                  uuid PRIMARY KEY,
        order_id            uuid NOT NULL REFERENCES fulfillment_orders(order_id),
        seller_id           uuid NOT NULL,
        origin              text NOT NULL,
        warehouse_id        uuid REFERENCES warehouses(id),
        status              text NOT NULL,
        lines               jsonb NOT NULL,
        carrier             text,
        service             text,
        tracking_number     text,
        weight_grams        integer,
        billable_grams      integer,
        size_tier           text,
        wave                text,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
    );
    CREATE INDEX parcels_order ON parcels (order_id);
    CREATE INDEX parcels_warehouse_status ON parcels (warehouse_id, status, id);
    CREATE UNIQUE INDEX parcels_tracking ON parcels (carrier, tracking_number)
        WHERE tracking_number IS NOT NULL;

    CREATE TABLE tracking_events (
        id          bigserial PRIMARY KEY,
        order_id    uuid NOT NULL,
        parcel_id   uuid,
        return_id   uuid,
        status      text NOT NULL,
        note        text NOT NULL,
        source      text NOT NULL,
        at          timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX tracking_events_order ON tracking_events (order_id, id);

    CREATE TABLE returns (
        id              uuid PRIMARY KEY,
        order_id        uuid NOT NULL REFERENCES fulfillment_orders(order_id),
        seller_id       uuid NOT NULL,
        buyer_id        text NOT NULL,
        destination     text NOT NULL,
        warehouse_id    uuid REFERENCES warehouses(id),
        status          text NOT NULL,
        reason          text NOT NULL,
        lines           jsonb NOT NULL,
        inspection      jsonb,
        carrier         text NOT NULL,
        tracking_number text NOT NULL,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
    );
    CREATE INDEX returns_order ON returns (order_id);

    CREATE TABLE fbt_fees (
        parcel_id       uuid NOT NULL REFERENCES parcels(id),
        seller_id       uuid NOT NULL,
        order_id        uuid NOT NULL,
        month           char(7) NOT NULL,
        size_tier       text NOT NULL,
        units           integer NOT NULL,
        fee_per_unit_minor bigint NOT NULL,
        amount_minor    bigint NOT NULL,
        currency        char(3) NOT NULL,
        charged_at      timestamptz NOT NULL,
        PRIMARY KEY (parcel_id)
    );
    CREATE INDEX fbt_fees_seller_month ON fbt_fees (seller_id, month);

    CREATE TABLE rate_cards (
        market          char(2) PRIMARY KEY,
        currency        char(3) NOT NULL,
        card_version    integer NOT NULL,
        zone_bands      jsonb NOT NULL,
        default_band    text NOT NULL,
        rates           jsonb NOT NULL,
        free_from_minor bigint,
        published_at    timestamptz NOT NULL
    );
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE rate_cards, fbt_fees, returns, tracking_events, parcels, fulfillment_orders,
               stock_movements, stock, inbound_cartons, inbound_lines, inbound_plans, skus,
               sellers, warehouses;
    """)
