"""PyInstaller entry of `mana-desktop-gui`: the desktop launcher (no console window on Windows)."""

import sys

from mana_desktop.cli import gui_main

if __name__ == "__main__":
    sys.exit(gui_main())
