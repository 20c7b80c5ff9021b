"""Catalog holds no buyer's personal data of its own (sellers are businesses, and their
accounts are not erased through a buyer's request); the sweep still searches every table, so
an id that reached catalog in an event is found and pseudonymised."""

from __future__ import annotations

from libs.privacy import PrivacyMap

PRIVACY_MAP = PrivacyMap(service="catalog")
