"""Endpoints may sign with Ed25519 (`v1a,`) instead of HMAC; the public key is published with
the endpoint.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE endpoints
        ADD COLUMN scheme text NOT NULL DEFAULT 'hmac' CHECK (scheme IN ('hmac', 'ed25519')),
        ADD COLUMN public_key text,
        ADD COLUMN old_public_key text;
    CREATE INDEX attempts_at ON attempts (at);
    CREATE INDEX events_received ON events (received_at);
    """)


def downgrade() -> None:
    op.execute("""
    DROP INDEX events_received; DROP INDEX attempts_at;
    ALTER TABLE endpoints DROP COLUMN scheme, DROP COLUMN public_key,
                          DROP COLUMN old_public_key;
    """)
