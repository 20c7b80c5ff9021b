from __future__ import annotations

from libs.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    service_name: str = "catalog"
    http_port: int = 8001
