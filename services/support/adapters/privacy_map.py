"""What support holds about a buyer beyond their id: what they wrote on tickets and disputes
(and what was written back to them there, which quotes it), and the archives of their own
earlier exports (deleted). The privacy registry is left to its own rules (an earlier export is
not exported again): a request names its requester until the erasure completes, then only the
pseudonym."""

from __future__ import annotations

from libs.privacy import PrivacyMap

PRIVACY_MAP = PrivacyMap(
    service="support",
    redactions=(
        """UPDATE tickets SET subject = '[erased]'
            WHERE requester = $1 AND seller_id IS NULL""",
        """UPDATE ticket_messages SET body = '[erased]', attachments = '[]'::jsonb
            WHERE author = $1 OR ticket_id IN (
                  SELECT id FROM tickets WHERE requester = $1 AND seller_id IS NULL)""",
        "UPDATE disputes SET description = '[erased]' WHERE buyer_id = $1",
        "UPDATE dispute_evidence SET body = '[erased]', urls = '{}' WHERE author = $1",
        """DELETE FROM privacy_answers WHERE request_id IN (
                  SELECT id FROM privacy_requests WHERE requester = $1 AND kind = 'export')""",
        """UPDATE privacy_requests
              SET requester = $2, archive_expired = true,
                  requested_by = CASE WHEN requested_by = $1 THEN $2 ELSE requested_by END
            WHERE requester = $1 AND kind = 'export'""",
    ),
    related={
        "ticket_messages": """SELECT m.ticket_id, m.author_kind, m.body, m.created_at
                                FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id
                               WHERE t.requester = $1 AND t.seller_id IS NULL
                                 AND NOT m.internal ORDER BY m.created_at""",
        "dispute_evidence": """SELECT e.* FROM dispute_evidence e JOIN disputes d
                                   ON d.id = e.dispute_id WHERE d.buyer_id = $1""",
    },
    private_tables=frozenset({"privacy_requests", "privacy_answers"}),
)
