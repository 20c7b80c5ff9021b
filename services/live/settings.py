from __future__ import annotations

from libs.settings import ServiceSettings


class LiveSettings(ServiceSettings):
    service_name: str = "live"
    http_port: int = 8003
