"""The one-command demo: embedded server + mission runner + app."""

from __future__ import annotations


def run_demo(reset: bool = False, argv: list[str] | None = None) -> int:
    """`mana-desktop demo`: see `mana_desktop.demo.app.run_demo`."""
    from mana_desktop.demo.app import run_demo as run

    return run(reset=reset, argv=argv)


__all__ = ["run_demo"]
