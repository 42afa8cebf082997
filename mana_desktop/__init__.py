"""Mana Desktop: a local-first desktop client for Mana's AI missions and module data."""

__version__ = "0.1.0"
