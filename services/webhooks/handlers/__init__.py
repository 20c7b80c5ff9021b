"""Event handlers of the webhooks service, by event type."""

from libs.consumer import Handler

HANDLERS: dict[str, Handler] = {}
