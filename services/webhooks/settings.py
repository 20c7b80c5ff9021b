from __future__ import annotations

from libs.settings import ServiceSettings


class WebhooksSettings(ServiceSettings):
    service_name: str = "webhooks"
    http_port: int = 8006
