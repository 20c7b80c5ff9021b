"""Event handlers of the catalog service, by event type."""

from libs.consumer import Handler

HANDLERS: dict[str, Handler] = {}
