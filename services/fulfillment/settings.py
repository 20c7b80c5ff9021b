from __future__ import annotations

from libs.settings import ServiceSettings


class FulfillmentSettings(ServiceSettings):
    service_name: str = "fulfillment"
    http_port: int = 8004
