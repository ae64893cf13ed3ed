"""Tidings: self-hosted incident communication."""

__version__ = "0.1.0"
