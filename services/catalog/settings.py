from __future__ import annotations

from pydantic import Field

from libs.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    service_name: str = "catalog"
    http_port: int = 8001
    product_memory_seconds: float = Field(
        default=1.0, ge=0, le=30,
        description="How long this instance serves a product's detail from its own memory "
                    "(0: ask Redis each time). A change made through another instance shows "
                    "here at most this much later.")
