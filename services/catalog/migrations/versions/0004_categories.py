"""The category tree.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE categories (
        id                  uuid PRIMARY KEY,
        parent_id           uuid REFERENCES categories (id),
        name                text    NOT NULL,
        slug                text    NOT NULL,
        required_attributes jsonb   NOT NULL DEFAULT '[]'::jsonb,
        age_restricted      boolean NOT NULL DEFAULT false,
        prohibited_markets  text[]  NOT NULL DEFAULT '{}',
        created_at          timestamptz NOT NULL DEFAULT now()
    );
    -- Sibling names are unique; roots among themselves too.
    CREATE UNIQUE INDEX categories_sibling_slug
        ON categories (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), slug);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE categories;")
