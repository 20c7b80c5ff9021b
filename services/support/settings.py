from __future__ import annotations

from libs.settings import ServiceSettings


class SupportSettings(ServiceSettings):
    service_name: str = "support"
    http_port: int = 8005
