"""Comptoir: a point-of-sale appliance."""

__version__ = "0.1.0"
