"""CommerceLens: local-first commerce analytics (rail, shop, payments)."""

__version__ = "0.1.0"
