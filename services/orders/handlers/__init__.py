"""Event handlers of the orders service, by event type."""

from libs.consumer import Handler

HANDLERS: dict[str, Handler] = {}
