"""What live holds about a buyer beyond their id: what they wrote in chat (blanked) and why a
shop banned them (blanked). Gifts, claims, taps and wallets stay under the pseudonym: the
gift ledger must balance and the hosts' counts must not change."""

from __future__ import annotations

from libs.privacy import PrivacyMap

PRIVACY_MAP = PrivacyMap(
    service="live",
    redactions=(
        "UPDATE chat_messages SET text = '[erased]' WHERE user_id = $1",
        "UPDATE shop_bans SET reason = '[erased]' WHERE user_id = $1",
    ),
)
