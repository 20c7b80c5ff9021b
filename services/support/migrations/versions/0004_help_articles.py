"""The help centre's first articles (`services.support.help_articles`).

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from sqlalchemy import text

from libs.ids import new_id
from services.support.adapters.kb_repository import ts_config
from services.support.help_articles import ARTICLES

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    statement = text(
        """INSERT INTO kb_articles (id, slug, market, language, category, audience, title, body,
                                    ts_config, updated_by)
           VALUES (:id, :slug, :market, :language, :category, :audience, :title,
                   :body, CAST(:config AS regconfig), 'seed')""")
    for slug, market, language, category, audience, title, body in ARTICLES:
        op.get_bind().execute(statement, {
            "id": new_id(), "slug": slug, "market": market, "language": language, "category": category,
            "audience": audience, "title": title, "body": body, "config": ts_config(language)})


def downgrade() -> None:
    op.execute("DELETE FROM kb_articles WHERE updated_by = 'seed'")
