"""opsdesk: service management for managed AWS service providers."""

__version__ = "0.1.0"
