"""Sequence numbers as sellers see them: counted over the public events of each topic and
aggregate, so a private event on the same topic (an address for fulfillment, a key digest)
leaves no false gap.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE public_sequences (
        topic           text NOT NULL,
        aggregate_id    text NOT NULL,
        last            bigint NOT NULL,
        PRIMARY KEY (topic, aggregate_id)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE public_sequences")
