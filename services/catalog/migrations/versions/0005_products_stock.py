"""Products, SKUs, stock and reservations, moderation decisions, bulk import jobs.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE products (
        id                uuid PRIMARY KEY,
        seller_id         uuid        NOT NULL REFERENCES sellers (id),
        shop_id           uuid        NOT NULL REFERENCES shops (id),
        category_id       uuid        NOT NULL REFERENCES categories (id),
        title             text        NOT NULL,
        description       text        NOT NULL DEFAULT '',
        images            jsonb       NOT NULL DEFAULT '[]'::jsonb,
        attributes        jsonb       NOT NULL DEFAULT '{}'::jsonb,
        status            text        NOT NULL,
        rejection_reasons jsonb       NOT NULL DEFAULT '[]'::jsonb,
        min_price_minor   bigint      NOT NULL,
        currency          char(3)     NOT NULL,
        import_key        text,
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL,
        published_at      timestamptz,
        search            tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title), 'A') ||
            setweight(to_tsvector('simple', description), 'B')) STORED,
        UNIQUE (seller_id, import_key)
    );
    CREATE INDEX products_search ON products USING gin (search);
    CREATE INDEX products_live_newest ON products (published_at DESC, id DESC)
        WHERE status = 'live';
    CREATE INDEX products_live_price ON products (min_price_minor, id) WHERE status = 'live';
    CREATE INDEX products_by_category ON products (category_id) WHERE status = 'live';
    CREATE INDEX products_by_seller ON products (seller_id, created_at DESC, id DESC);
    CREATE INDEX products_review_queue ON products (updated_at, id) WHERE status = 'pending_review';

    CREATE TABLE skus (
        id               uuid PRIMARY KEY,
        product_id       uuid    NOT NULL REFERENCES products (id),
        shop_id          uuid    NOT NULL REFERENCES shops (id),
        code             text    NOT NULL,
        options          jsonb   NOT NULL DEFAULT '{}'::jsonb,
        price_minor      bigint  NOT NULL CHECK (price_minor > 0),
        compare_at_minor bigint  CHECK (compare_at_minor IS NULL OR compare_at_minor >= price_minor),
        currency         char(3) NOT NULL,
        weight_grams     integer CHECK (weight_grams IS NULL OR weight_grams > 0),
        length_mm        integer,
        width_mm         integer,
        height_mm        integer,
        position         integer NOT NULL,
        UNIQUE (shop_id, code)
    );
    CREATE INDEX skus_by_product ON skus (product_id, position);

    CREATE TABLE stock (
        sku_id              uuid PRIMARY KEY REFERENCES skus (id),
        seller_id           uuid        NOT NULL,
        on_hand             integer     NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
        reserved            integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        low_stock_threshold integer     NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
        version             integer     NOT NULL DEFAULT 0,
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CHECK (reserved <= on_hand)
    );
    CREATE INDEX stock_available ON stock (sku_id) WHERE on_hand > reserved;

    CREATE TABLE stock_movements (
        id         bigserial PRIMARY KEY,
        sku_id     uuid        NOT NULL REFERENCES skus (id),
        on_hand    integer     NOT NULL,
        reserved   integer     NOT NULL,
        reason     text        NOT NULL,
        actor      text        NOT NULL,
        reference  text,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX stock_movements_by_sku ON stock_movements (sku_id, id);

    CREATE TABLE reservations (
        id         uuid PRIMARY KEY,
        order_id   uuid        NOT NULL UNIQUE,
        status     text        NOT NULL CHECK (status IN ('active', 'committed', 'released')),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        ended_at   timestamptz,
        end_reason text
    );
    CREATE INDEX reservations_expiring ON reservations (expires_at) WHERE status = 'active';
    CREATE TABLE reservation_lines (
        reservation_id uuid    NOT NULL REFERENCES reservations (id),
        sku_id         uuid    NOT NULL REFERENCES skus (id),
        quantity       integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (reservation_id, sku_id)
    );

    CREATE TABLE moderation_decisions (
        id         bigserial PRIMARY KEY,
        product_id uuid        NOT NULL REFERENCES products (id),
        outcome    text        NOT NULL,
        reasons    jsonb       NOT NULL DEFAULT '[]'::jsonb,
        actor      text        NOT NULL,
        decided_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX moderation_decisions_by_product ON moderation_decisions (product_id, id);

    CREATE TABLE import_jobs (
        id          uuid PRIMARY KEY,
        seller_id   uuid        NOT NULL REFERENCES sellers (id),
        file_sha256 text        NOT NULL,
        format      text        NOT NULL,
        status      text        NOT NULL,
        total_rows  integer     NOT NULL DEFAULT 0,
        processed   integer     NOT NULL DEFAULT 0,
        created     integer     NOT NULL DEFAULT 0,
        skipped     integer     NOT NULL DEFAULT 0,
        failed      integer     NOT NULL DEFAULT 0,
        errors      jsonb       NOT NULL DEFAULT '[]'::jsonb,
        payload     text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        UNIQUE (seller_id, file_sha256)
    );
    CREATE INDEX import_jobs_pending ON import_jobs (created_at) WHERE status = 'queued';
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE import_jobs; DROP TABLE moderation_decisions; DROP TABLE reservation_lines;
    DROP TABLE reservations; DROP TABLE stock_movements; DROP TABLE stock; DROP TABLE skus;
    DROP TABLE products;
    """)
