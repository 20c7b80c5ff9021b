"""Event handlers of the fulfillment service, by event type."""

from libs.consumer import Handler

HANDLERS: dict[str, Handler] = {}
