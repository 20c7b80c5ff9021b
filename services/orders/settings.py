from __future__ import annotations

from libs.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    service_name: str = "orders"
    http_port: int = 8002
