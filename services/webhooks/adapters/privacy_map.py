"""Webhooks keeps copies of public events for sellers' pull feed and redelivery; the sweep
pseudonymises the buyer in them and blanks the personal fields of the objects that named
them (a return's reason). Sellers hear of the erasure through `buyer.redaction_requested`."""

from __future__ import annotations

from libs.privacy import PrivacyMap

PRIVACY_MAP = PrivacyMap(service="webhooks")
