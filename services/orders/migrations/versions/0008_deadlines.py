"""Orders' timers move to the platform's deadline engine; an order's deadlines become data.

Pending timers are carried over as they were (same kind, due time, payload and attempts), so a
deployment upgraded mid-saga resumes where it stood.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE orders ADD COLUMN pay_by timestamptz, ADD COLUMN ship_by timestamptz,
                       ADD COLUMN deliver_by timestamptz,
                       ADD COLUMN return_window_ends_at timestamptz;

    INSERT INTO deadlines (key, kind, due_at, next_at, payload, attempts)
    SELECT order_id::text, kind, due_at, due_at, payload, attempts
    FROM timers WHERE done_at IS NULL ORDER BY id;

    UPDATE orders o SET ship_by = t.due_at FROM timers t
    WHERE t.order_id = o.id AND t.kind = 'ship_by';
    UPDATE orders o SET deliver_by = t.due_at FROM timers t
    WHERE t.order_id = o.id AND t.kind = 'deliver_by';
    UPDATE orders o SET return_window_ends_at = t.due_at FROM timers t
    WHERE t.order_id = o.id AND t.kind = 'return_window_end';

    DROP TABLE timers;
    """)


def downgrade() -> None:
    op.execute("""
    CREATE TABLE timers (
        id           bigserial PRIMARY KEY,
        order_id     uuid        NOT NULL REFERENCES orders (id),
        kind         text        NOT NULL,
        due_at       timestamptz NOT NULL,
        leased_until timestamptz,
        attempts     integer     NOT NULL DEFAULT 0,
        done_at      timestamptz,
        payload      jsonb       NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE INDEX timers_due ON timers (due_at) WHERE done_at IS NULL;
    CREATE INDEX timers_pending_by_order ON timers (order_id) WHERE done_at IS NULL;
    INSERT INTO timers (order_id, kind, due_at, attempts, payload)
    SELECT key::uuid, kind, next_at, attempts, payload FROM deadlines WHERE done_at IS NULL;
    ALTER TABLE orders DROP COLUMN pay_by, DROP COLUMN ship_by, DROP COLUMN deliver_by,
                       DROP COLUMN return_window_ends_at;
    """)
