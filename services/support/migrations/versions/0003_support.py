"""Support: tickets with threaded messages and links, queues and agents, SLA policies and
business calendars, the knowledge base, disputes with evidence, account violations, and the
read model of orders, shipments, refunds and listings that gives tickets their context.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from libs.auth.api_key_replica import DDL as SELLER_API_KEYS_DDL
from services.support.defaults import calendars_sql, policies_sql

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute(SELLER_API_KEYS_DDL)
    op.execute("""
    ALTER TABLE seller_accounts RENAME COLUMN tier TO origin;
    ALTER TABLE seller_accounts
        ADD COLUMN catalog_status    text NOT NULL DEFAULT 'pending_verification',
        ADD COLUMN warned_at         timestamptz,
        ADD COLUMN suspended_at      timestamptz,
        ADD COLUMN suspension_reason text,
        ADD COLUMN suspended_by      text;

    CREATE TABLE violations (
        id          uuid PRIMARY KEY,
        seller_id   uuid NOT NULL REFERENCES seller_accounts (seller_id),
        kind        text NOT NULL,
        points      integer NOT NULL CHECK (points BETWEEN 0 AND 100),
        reference   text NOT NULL,
        occurred_at timestamptz NOT NULL,
        forgiven_at timestamptz,
        UNIQUE (seller_id, kind, reference)
    );
    CREATE INDEX violations_by_seller ON violations (seller_id, occurred_at);

    -- context: what support knows of orders, shipments, refunds and listings, from events
    -- An order's row may start from fulfillment's events (they can be read before orders'
    -- own): the columns orders' `order.placed` fills are null until it arrives.
    CREATE TABLE order_views (
        order_id              uuid PRIMARY KEY,
        buyer_id              text,
        seller_id             uuid,
        currency              char(3),
        lines                 jsonb,
        sku_ids               uuid[],
        total_minor           bigint,
        status                text,
        method                text,
        placed_at             timestamptz,
        ship_by               timestamptz,
        deliver_by            timestamptz,
        shipped_at            timestamptz,
        delivered_at          timestamptz,
        return_window_ends_at timestamptz,
        cancelled_reason      text,
        updated_at            timestamptz NOT NULL
    );
    CREATE INDEX order_views_by_buyer ON order_views (buyer_id, placed_at);
    CREATE INDEX order_views_by_seller ON order_views (seller_id, placed_at);

    CREATE TABLE shipment_views (
        shipment_id     uuid PRIMARY KEY,
        order_id        uuid NOT NULL,
        seller_id       uuid,
        carrier         text,
        service         text,
        tracking_number text,
        status          text NOT NULL,
        last_event_at   timestamptz NOT NULL
    );
    CREATE INDEX shipment_views_by_order ON shipment_views (order_id);

    CREATE TABLE refund_views (
        refund_id    uuid PRIMARY KEY,
        order_id     uuid NOT NULL,
        amount_minor bigint NOT NULL,
        reason       text NOT NULL,
        refunded_at  timestamptz NOT NULL
    );
    CREATE INDEX refund_views_by_order ON refund_views (order_id);

    CREATE TABLE listing_views (
        product_id uuid PRIMARY KEY,
        seller_id  uuid NOT NULL,
        status     text NOT NULL,
        sku_ids    uuid[] NOT NULL DEFAULT '{}',
        reasons    jsonb NOT NULL DEFAULT '[]'::jsonb,
        updated_at timestamptz NOT NULL
    );
    CREATE INDEX listing_views_by_seller ON listing_views (seller_id);
    CREATE INDEX listing_views_skus ON listing_views USING gin (sku_ids);

    CREATE TABLE story (
        id        bigserial PRIMARY KEY,
        order_id  uuid NOT NULL,
        at        timestamptz NOT NULL,
        type      text NOT NULL,
        summary   text NOT NULL
    );
    CREATE INDEX story_by_order ON story (order_id, at);

    -- service desk
    CREATE TABLE business_calendars (
        market        char(2) PRIMARY KEY,
        timezone      text NOT NULL,
        working_days  smallint[] NOT NULL,
        opens_minute  smallint NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
        closes_minute smallint NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440),
        CHECK (opens_minute < closes_minute)
    );
    CREATE TABLE holidays (
        market char(2) NOT NULL,
        day    date NOT NULL,
        name   text NOT NULL,
        PRIMARY KEY (market, day)
    );

    CREATE TABLE sla_policies (
        tier                text NOT NULL,
        priority            text NOT NULL,
        first_reply_minutes integer NOT NULL CHECK (first_reply_minutes BETWEEN 1 AND 43200),
        next_reply_minutes  integer NOT NULL CHECK (next_reply_minutes BETWEEN 1 AND 43200),
        resolution_minutes  integer NOT NULL CHECK (resolution_minutes BETWEEN 1 AND 129600),
        PRIMARY KEY (tier, priority)
    );

    CREATE TABLE queues (
        id         uuid PRIMARY KEY,
        name       text NOT NULL UNIQUE,
        category   text,
        market     char(2),
        lead       boolean NOT NULL DEFAULT false,
        strategy   text NOT NULL DEFAULT 'round_robin',
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE queue_members (
        queue_id         uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
        agent            text NOT NULL,
        skills           text[] NOT NULL DEFAULT '{}',
        last_assigned_at timestamptz,
        PRIMARY KEY (queue_id, agent)
    );
    CREATE INDEX queue_members_by_agent ON queue_members (agent);

    CREATE TABLE tickets (
        id                   uuid PRIMARY KEY,
        kind                 text NOT NULL DEFAULT 'question',
        requester            text NOT NULL,
        requester_kind       text NOT NULL,
        seller_id            uuid,
        market               char(2) NOT NULL,
        language             text NOT NULL,
        tier                 text NOT NULL,
        origin               text,
        category             text NOT NULL,
        priority             text NOT NULL,
        subject              text NOT NULL,
        status               text NOT NULL,
        queue_id             uuid REFERENCES queues (id),
        assignee             text,
        wants_person         boolean NOT NULL DEFAULT false,
        first_reply_due_at   timestamptz,
        next_reply_due_at    timestamptz,
        resolution_due_at    timestamptz,
        resolution_left_s    double precision,
        first_replied_at     timestamptz,
        first_reply_by       text,
        escalations          integer NOT NULL DEFAULT 0,
        solved_at            timestamptz,
        reopen_until         timestamptz,
        closed_at            timestamptz,
        created_at           timestamptz NOT NULL,
        updated_at           timestamptz NOT NULL
    );
    CREATE INDEX tickets_by_requester ON tickets (requester, created_at);
    CREATE INDEX tickets_by_seller ON tickets (seller_id, created_at);
    CREATE INDEX tickets_by_queue ON tickets (queue_id, created_at) WHERE status <> 'closed';
    CREATE INDEX tickets_by_assignee ON tickets (assignee, created_at) WHERE status <> 'closed';

    CREATE TABLE ticket_links (
        ticket_id uuid NOT NULL REFERENCES tickets (id),
        kind      text NOT NULL,
        object_id uuid NOT NULL,
        PRIMARY KEY (ticket_id, kind, object_id)
    );

    CREATE TABLE ticket_messages (
        id          uuid PRIMARY KEY,
        ticket_id   uuid NOT NULL REFERENCES tickets (id),
        author      text NOT NULL,
        author_kind text NOT NULL,
        internal    boolean NOT NULL DEFAULT false,
        body        text NOT NULL,
        attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
        confidence  real,
        article_ids uuid[] NOT NULL DEFAULT '{}',
        helpful     boolean,
        created_at  timestamptz NOT NULL
    );
    CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, created_at);

    CREATE TABLE kb_articles (
        id         uuid PRIMARY KEY,
        slug       text NOT NULL,
        market     char(2),
        language   text NOT NULL,
        category   text NOT NULL,
        audience   text NOT NULL,
        title      text NOT NULL,
        body       text NOT NULL,
        ts_config  regconfig NOT NULL,
        search_vector tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector(ts_config, title), 'A') ||
            setweight(to_tsvector(ts_config, body), 'B')) STORED,
        published  boolean NOT NULL DEFAULT true,
        updated_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (slug, language, market)
    );
    CREATE INDEX kb_articles_search ON kb_articles USING gin (search_vector);

    CREATE TABLE disputes (
        id             uuid PRIMARY KEY,
        order_id       uuid NOT NULL,
        buyer_id       text NOT NULL,
        seller_id      uuid NOT NULL,
        market         char(2) NOT NULL,
        reason         text NOT NULL,
        description    text NOT NULL,
        lines          jsonb NOT NULL,
        status         text NOT NULL,
        respond_by     timestamptz,
        escalate_by    timestamptz,
        decide_by      timestamptz,
        outcome        text,
        decided_by     text,
        decision_note  text,
        refund_shipping boolean NOT NULL DEFAULT false,
        opened_at      timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL,
        resolved_at    timestamptz
    );
    CREATE UNIQUE INDEX one_open_dispute_per_order ON disputes (order_id)
        WHERE status <> 'resolved';
    CREATE INDEX disputes_by_buyer ON disputes (buyer_id, opened_at);
    CREATE INDEX disputes_by_seller ON disputes (seller_id, opened_at);

    CREATE TABLE dispute_evidence (
        id         uuid PRIMARY KEY,
        dispute_id uuid NOT NULL REFERENCES disputes (id),
        party      text NOT NULL,
        author     text NOT NULL,
        body       text NOT NULL,
        urls       text[] NOT NULL DEFAULT '{}',
        private    boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL
    );
    CREATE INDEX dispute_evidence_by_dispute ON dispute_evidence (dispute_id, created_at);

    INSERT INTO queues (id, name, category, market, lead, strategy) VALUES
        ('00000000-0000-7000-8000-000000000001', 'General', NULL, NULL, false, 'round_robin'),
        ('00000000-0000-7000-8000-000000000002', 'Leads', NULL, NULL, true, 'round_robin');
    """)
    op.execute(calendars_sql())
    op.execute(policies_sql())


def downgrade() -> None:
    op.execute("""
    DROP TABLE dispute_evidence, disputes, kb_articles, ticket_messages, ticket_links, tickets,
               queue_members, queues, sla_policies, holidays, business_calendars, story,
               listing_views, refund_views, shipment_views, order_views, violations,
               seller_api_keys;
    ALTER TABLE seller_accounts DROP COLUMN catalog_status, DROP COLUMN warned_at,
        DROP COLUMN suspended_at, DROP COLUMN suspension_reason, DROP COLUMN suspended_by;
    ALTER TABLE seller_accounts RENAME COLUMN origin TO tier;
    """)
