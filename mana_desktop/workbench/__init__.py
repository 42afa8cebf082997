"""workbench layer (see docs/ARCHITECTURE.md)."""
