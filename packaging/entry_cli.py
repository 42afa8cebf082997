"""PyInstaller entry of the `mana-desktop` executable (every command; `app` opens the window)."""

import sys

from mana_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
