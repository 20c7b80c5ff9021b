"""Live shopping: sessions, showcase and pins, flash deals and claims, chat, wallets, attribution.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE listings (
        sku_id        uuid PRIMARY KEY,
        product_id    uuid        NOT NULL,
        seller_id     uuid        NOT NULL,
        price_minor   bigint      NOT NULL,
        currency      char(3)     NOT NULL,
        live          boolean     NOT NULL,
        available     integer,
        updated_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX listings_by_product ON listings (product_id);

    CREATE TABLE creator_partners (
        seller_id     uuid        NOT NULL,
        creator_id    text        NOT NULL,
        agreed_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (seller_id, creator_id)
    );

    CREATE TABLE sessions (
        id              uuid PRIMARY KEY,
        seller_id       uuid        NOT NULL,
        host_kind       text        NOT NULL CHECK (host_kind IN ('seller', 'creator')),
        host_id         text        NOT NULL,
        title           text        NOT NULL,
        scheduled_for   timestamptz NOT NULL,
        status          text        NOT NULL,
        started_at      timestamptz,
        ended_at        timestamptz,
        pinned_message  jsonb,
        peak_viewers    integer,
        unique_viewers  integer,
        created_at      timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sessions_by_seller ON sessions (seller_id, scheduled_for DESC, id DESC);
    CREATE INDEX sessions_by_status ON sessions (status, scheduled_for, id);

    CREATE TABLE showcase (
        session_id  uuid        NOT NULL REFERENCES sessions (id),
        product_id  uuid        NOT NULL,
        added_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (session_id, product_id)
    );

    CREATE TABLE pins (
        id            uuid PRIMARY KEY,
        session_id    uuid        NOT NULL REFERENCES sessions (id),
        product_id    uuid        NOT NULL,
        pinned_at     timestamptz NOT NULL,
        unpinned_at   timestamptz
    );
    CREATE UNIQUE INDEX one_pin_per_session ON pins (session_id) WHERE unpinned_at IS NULL;

    CREATE TABLE deals (
        id                uuid PRIMARY KEY,
        session_id        uuid        NOT NULL REFERENCES sessions (id),
        seller_id         uuid        NOT NULL,
        product_id        uuid        NOT NULL,
        sku_id            uuid        NOT NULL,
        deal_price_minor  bigint      NOT NULL CHECK (deal_price_minor > 0),
        currency          char(3)     NOT NULL,
        quantity          integer     NOT NULL CHECK (quantity > 0),
        per_buyer_limit   integer     NOT NULL CHECK (per_buyer_limit > 0),
        starts_at         timestamptz NOT NULL,
        ends_at           timestamptz NOT NULL,
        status            text        NOT NULL,
        unclaimed_at_end  integer,
        created_at        timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX deals_by_session ON deals (session_id, created_at);
    CREATE INDEX deals_in_play ON deals (status, starts_at)
        WHERE status IN ('awaiting_stock', 'ready', 'live');

    CREATE TABLE claims (
        id            uuid PRIMARY KEY,
        deal_id       uuid        NOT NULL REFERENCES deals (id),
        session_id    uuid        NOT NULL,
        buyer_id      text        NOT NULL,
        sku_id        uuid        NOT NULL,
        quantity      integer     NOT NULL CHECK (quantity > 0),
        status        text        NOT NULL,
        returned_to   text,
        order_id      uuid,
        expires_at    timestamptz NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        settled_at    timestamptz
    );
    CREATE INDEX claims_by_deal ON claims (deal_id, status);
    CREATE INDEX claims_to_expire ON claims (expires_at) WHERE status = 'active';

    CREATE TABLE chat_messages (
        id          uuid PRIMARY KEY,
        session_id  uuid        NOT NULL REFERENCES sessions (id),
        user_id     text        NOT NULL,
        text        text        NOT NULL,
        removed     boolean     NOT NULL DEFAULT false,
        created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX chat_by_session ON chat_messages (session_id, created_at, id);

    CREATE TABLE shop_moderators (
        seller_id  uuid NOT NULL,
        user_id    text NOT NULL,
        PRIMARY KEY (seller_id, user_id)
    );
    CREATE TABLE shop_blocked_words (
        seller_id  uuid NOT NULL,
        word       text NOT NULL,
        PRIMARY KEY (seller_id, word)
    );
    CREATE TABLE shop_bans (
        seller_id   uuid        NOT NULL,
        user_id     text        NOT NULL,
        reason      text        NOT NULL,
        banned_by   text        NOT NULL,
        banned_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (seller_id, user_id)
    );
    CREATE TABLE session_mutes (
        session_id  uuid        NOT NULL REFERENCES sessions (id),
        user_id     text        NOT NULL,
        muted_until timestamptz NOT NULL,
        muted_by    text        NOT NULL,
        PRIMARY KEY (session_id, user_id)
    );

    CREATE TABLE gift_catalogue (
        code    text PRIMARY KEY,
        name    text    NOT NULL,
        tokens  integer NOT NULL CHECK (tokens > 0)
    );
    INSERT INTO gift_catalogue (code, name, tokens) VALUES
        ('rose', 'Rose', 1), ('heart', 'Heart', 5), ('confetti', 'Confetti', 20),
        ('rocket', 'Rocket', 100), ('galaxy', 'Galaxy', 1000);

    CREATE TABLE wallets (
        buyer_id  text PRIMARY KEY,
        balance   bigint NOT NULL CHECK (balance >= 0)
    );
    CREATE TABLE ledger_entries (
        id           bigserial PRIMARY KEY,
        transfer_id  uuid        NOT NULL,
        account      text        NOT NULL,
        tokens       bigint      NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ledger_by_account ON ledger_entries (account);
    CREATE TABLE gifts (
        id          uuid PRIMARY KEY,
        session_id  uuid        NOT NULL REFERENCES sessions (id),
        buyer_id    text        NOT NULL,
        host_id     text        NOT NULL,
        gift_code   text        NOT NULL REFERENCES gift_catalogue (code),
        quantity    integer     NOT NULL CHECK (quantity > 0),
        tokens      bigint      NOT NULL,
        sent_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX gifts_by_session ON gifts (session_id, sent_at);

    -- Orders attributed to a session, from orders' events: analytics and the purchase ticker.
    CREATE TABLE session_order_lines (
        order_id      uuid        NOT NULL,
        sku_id        uuid        NOT NULL,
        session_id    uuid        NOT NULL,
        product_id    uuid,
        deal_id       uuid,
        buyer_id      text        NOT NULL,
        quantity      integer     NOT NULL,
        amount_minor  bigint      NOT NULL,
        currency      char(3)     NOT NULL,
        status        text        NOT NULL,
        placed_at     timestamptz NOT NULL,
        PRIMARY KEY (order_id, sku_id)
    );
    CREATE INDEX session_orders ON session_order_lines (session_id, placed_at);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE session_order_lines, gifts, ledger_entries, wallets,
        gift_catalogue, session_mutes, shop_bans, shop_blocked_words, shop_moderators,
        chat_messages, claims, deals, pins, showcase, sessions, creator_partners, listings;
    """)
