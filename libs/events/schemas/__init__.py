"""Event schemas, one module per producing service. Importing this package registers them all."""

from libs.events.schemas import catalog, support

__all__ = ["catalog", "support"]
