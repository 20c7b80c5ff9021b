"""Event handlers of the live service, by event type."""

from libs.consumer import Handler

HANDLERS: dict[str, Handler] = {}
