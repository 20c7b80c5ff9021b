"""Shoppable short videos: metadata (the media is hosted elsewhere), tagged products, views,
taps and add-to-carts counted once per viewer and window, and the orders they brought.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE videos (
        id                uuid PRIMARY KEY,
        author_kind       text        NOT NULL CHECK (author_kind IN ('seller', 'creator')),
        author_id         text        NOT NULL,
        author_subject    text        NOT NULL,
        market            text        NOT NULL,
        title             text        NOT NULL,
        duration_seconds  integer     NOT NULL CHECK (duration_seconds BETWEEN 1 AND 600),
        media_url         text        NOT NULL,
        thumbnail_url     text        NOT NULL,
        status            text        NOT NULL DEFAULT 'draft'
                                      CHECK (status IN ('draft', 'published', 'unpublished')),
        views             bigint      NOT NULL DEFAULT 0,
        created_at        timestamptz NOT NULL DEFAULT now(),
        published_at      timestamptz
    );
    CREATE INDEX videos_newest ON videos (market, published_at DESC, id DESC)
        WHERE status = 'published';
    CREATE INDEX videos_most_viewed ON videos (market, views DESC, id DESC)
        WHERE status = 'published';
    CREATE INDEX videos_by_author ON videos (author_kind, author_id, created_at DESC);

    CREATE TABLE video_products (
        video_id        uuid        NOT NULL REFERENCES videos (id),
        product_id      uuid        NOT NULL,
        seller_id       uuid        NOT NULL,
        offset_seconds  integer     CHECK (offset_seconds >= 0),
        tagged_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (video_id, product_id)
    );
    CREATE INDEX video_products_by_seller ON video_products (seller_id, video_id);

    -- One row per viewer, video, kind, product and window: repeats in a window count once.
    CREATE TABLE video_interactions (
        video_id     uuid        NOT NULL REFERENCES videos (id),
        viewer_id    text        NOT NULL,
        kind         text        NOT NULL CHECK (kind IN ('view', 'tap', 'add_to_cart')),
        product_id   uuid        NOT NULL,
        window_start timestamptz NOT NULL,
        PRIMARY KEY (video_id, kind, product_id, viewer_id, window_start)
    );

    CREATE TABLE video_order_lines (
        order_id          uuid        NOT NULL,
        sku_id            uuid        NOT NULL,
        video_id          uuid        NOT NULL,
        product_id        uuid,
        creator_id        text,
        quantity          integer     NOT NULL,
        amount_minor      bigint      NOT NULL,
        currency          char(3)     NOT NULL,
        status            text        NOT NULL CHECK (status IN ('placed', 'paid', 'cancelled')),
        commission_minor  bigint      NOT NULL DEFAULT 0,
        placed_at         timestamptz NOT NULL,
        PRIMARY KEY (order_id, sku_id)
    );
    CREATE INDEX video_order_lines_by_video ON video_order_lines (video_id);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE video_order_lines; DROP TABLE video_interactions; DROP TABLE video_products;
    DROP TABLE videos;
    """)
