"""Discovery: the read model of what can be shown, popularity and co-visitation, consents and
consenting buyers' history, campaigns, their days' spend, clicks and attributed orders.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from libs.auth.api_key_replica import DDL as API_KEYS_DDL

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE sellers (
        id        uuid PRIMARY KEY,
        market    char(2) NOT NULL,
        currency  char(3) NOT NULL,
        standing  text    NOT NULL CHECK (standing IN ('pending', 'active', 'suspended'))
    );
    CREATE TABLE products (
        id             uuid PRIMARY KEY,
        seller_id      uuid        NOT NULL,
        category_id    uuid        NOT NULL,
        market         char(2)     NOT NULL,
        title          text,
        age_restricted boolean     NOT NULL,
        price_minor    bigint      NOT NULL CHECK (price_minor >= 0),
        currency       char(3)     NOT NULL,
        live           boolean     NOT NULL,
        in_stock       boolean     NOT NULL DEFAULT false,
        published_at   timestamptz NOT NULL
    );
    CREATE INDEX products_by_seller ON products (seller_id);
    CREATE INDEX products_newest ON products (market, published_at DESC) WHERE live AND in_stock;
    CREATE INDEX products_by_category ON products (market, category_id) WHERE live AND in_stock;
    CREATE TABLE skus (
        id         uuid PRIMARY KEY,
        product_id uuid NOT NULL
    );
    CREATE INDEX skus_by_product ON skus (product_id);
    CREATE TABLE sku_stock (
        sku_id    uuid PRIMARY KEY,
        available boolean NOT NULL
    );
    CREATE TABLE live_sessions (
        id         uuid PRIMARY KEY,
        seller_id  uuid        NOT NULL,
        title      text        NOT NULL,
        state      text        NOT NULL CHECK (state IN ('scheduled', 'live', 'ended',
                                                         'cancelled')),
        updated_at timestamptz NOT NULL
    );
    CREATE INDEX live_sessions_live ON live_sessions (seller_id) WHERE state = 'live';
    CREATE TABLE videos (
        id            uuid PRIMARY KEY,
        market        char(2)     NOT NULL,
        author_kind   text        NOT NULL,
        author_id     text        NOT NULL,
        title         text        NOT NULL,
        thumbnail_url text        NOT NULL,
        live          boolean     NOT NULL,
        published_at  timestamptz NOT NULL
    );
    CREATE TABLE video_products (
        video_id   uuid NOT NULL,
        product_id uuid NOT NULL,
        PRIMARY KEY (video_id, product_id)
    );

    -- Popularity: each interaction adds weight x 2^(days since the epoch / half-life), so the
    -- stored score orders items exactly as a decayed count would, without rewriting rows.
    CREATE TABLE item_popularity (
        market      char(2)          NOT NULL,
        item_kind   text             NOT NULL,
        item_id     uuid             NOT NULL,
        score       double precision NOT NULL,
        views       bigint           NOT NULL DEFAULT 0,
        taps        bigint           NOT NULL DEFAULT 0,
        carts       bigint           NOT NULL DEFAULT 0,
        purchases   bigint           NOT NULL DEFAULT 0,
        PRIMARY KEY (market, item_kind, item_id)
    );
    CREATE INDEX item_popularity_rank ON item_popularity (market, item_kind, score DESC);
    CREATE TABLE unpublished_counts (
        market      char(2)     NOT NULL,
        item_kind   text        NOT NULL,
        item_id     uuid        NOT NULL,
        views       bigint      NOT NULL DEFAULT 0,
        taps        bigint      NOT NULL DEFAULT 0,
        carts       bigint      NOT NULL DEFAULT 0,
        purchases   bigint      NOT NULL DEFAULT 0,
        since       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (market, item_kind, item_id)
    );
    CREATE TABLE ingested_events (
        dedupe_key  bytea PRIMARY KEY,
        ingested_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ingested_events_age ON ingested_events (ingested_at);
    CREATE TABLE co_visits (
        market   char(2)          NOT NULL,
        item_id  uuid             NOT NULL,
        other_id uuid             NOT NULL,
        weight   double precision NOT NULL,
        PRIMARY KEY (market, item_id, other_id)
    );

    -- Buyers: what the platform verified of them (for purchases that arrive by event), their
    -- consent and its history, and (only when they may be profiled) their recent interactions.
    CREATE TABLE buyers (
        buyer_id  text PRIMARY KEY,
        market    char(2)     NOT NULL,
        birthdate date,
        seen_at   timestamptz NOT NULL
    );
    CREATE TABLE consents (
        buyer_id     text PRIMARY KEY,
        personalised boolean     NOT NULL,
        market       char(2)     NOT NULL,
        changed_at   timestamptz NOT NULL
    );
    CREATE TABLE consent_history (
        id           bigserial PRIMARY KEY,
        buyer_id     text        NOT NULL,
        personalised boolean     NOT NULL,
        market       char(2)     NOT NULL,
        changed_at   timestamptz NOT NULL
    );
    CREATE INDEX consent_history_by_buyer ON consent_history (buyer_id, id);
    CREATE TABLE buyer_interactions (
        id          bigserial PRIMARY KEY,
        buyer_id    text        NOT NULL,
        market      char(2)     NOT NULL,
        item_kind   text        NOT NULL,
        item_id     uuid        NOT NULL,
        category_id uuid,
        action      text        NOT NULL,
        weight      real        NOT NULL,
        occurred_at timestamptz NOT NULL
    );
    CREATE INDEX buyer_interactions_recent ON buyer_interactions (buyer_id, id DESC);
    CREATE INDEX buyer_interactions_age ON buyer_interactions (occurred_at);
    CREATE TABLE placed_orders (
        order_id  uuid PRIMARY KEY,
        buyer_id  text        NOT NULL,
        lines     jsonb       NOT NULL,
        placed_at timestamptz NOT NULL
    );

    -- Sponsored products.
    CREATE TABLE campaigns (
        id                  uuid PRIMARY KEY,
        seller_id           uuid        NOT NULL,
        name                text        NOT NULL,
        kind                text        NOT NULL CHECK (kind IN ('products', 'catalogue')),
        status              text        NOT NULL CHECK (status IN ('active', 'paused', 'ended')),
        currency            char(3)     NOT NULL,
        daily_budget_minor  bigint      NOT NULL CHECK (daily_budget_minor > 0),
        max_bid_minor       bigint      NOT NULL CHECK (max_bid_minor > 0),
        markets             text[]      NOT NULL,
        keywords            text[]      NOT NULL,
        categories          uuid[]      NOT NULL,
        audience_categories uuid[]      NOT NULL,
        audience_min_age    integer     CHECK (audience_min_age >= 18),
        target_roas         double precision CHECK (target_roas > 0),
        catalogue_category  uuid,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
    );
    CREATE INDEX campaigns_by_seller ON campaigns (seller_id, created_at DESC, id DESC);
    CREATE INDEX campaigns_serving ON campaigns (status) WHERE status = 'active';
    CREATE TABLE campaign_products (
        campaign_id uuid NOT NULL REFERENCES campaigns (id),
        product_id  uuid NOT NULL,
        PRIMARY KEY (campaign_id, product_id)
    );
    CREATE TABLE campaign_days (
        campaign_id  uuid    NOT NULL REFERENCES campaigns (id),
        day          date    NOT NULL,
        spent_minor  bigint  NOT NULL DEFAULT 0 CHECK (spent_minor >= 0),
        exhausted_at timestamptz,
        PRIMARY KEY (campaign_id, day)
    );
    CREATE TABLE clicks (
        id            uuid PRIMARY KEY,
        impression_id uuid        NOT NULL,
        campaign_id   uuid        NOT NULL,
        product_id    uuid        NOT NULL,
        buyer_id      text        NOT NULL,
        price_minor   bigint      NOT NULL,
        outcome       text        NOT NULL,
        clicked_at    timestamptz NOT NULL
    );
    CREATE INDEX clicks_by_impression ON clicks (impression_id);
    CREATE INDEX clicks_by_buyer ON clicks (buyer_id, product_id, clicked_at DESC)
        WHERE outcome = 'billed';
    CREATE INDEX clicks_by_campaign ON clicks (campaign_id, outcome);
    CREATE TABLE attributions (
        order_id      uuid        NOT NULL,
        product_id    uuid        NOT NULL,
        campaign_id   uuid        NOT NULL,
        click_id      uuid        NOT NULL,
        revenue_minor bigint      NOT NULL,
        cancelled     boolean     NOT NULL DEFAULT false,
        attributed_at timestamptz NOT NULL,
        PRIMARY KEY (order_id, product_id)
    );
    CREATE INDEX attributions_by_campaign ON attributions (campaign_id);
    """)
    op.execute(API_KEYS_DDL)


def downgrade() -> None:
    op.execute("""
    DROP TABLE seller_api_keys, attributions, clicks, campaign_days, campaign_products, campaigns,
               placed_orders, buyer_interactions, consent_history, consents, buyers,
               co_visits, ingested_events, unpublished_counts, item_popularity,
               video_products, videos, live_sessions, sku_stock, skus, products, sellers;
    """)
