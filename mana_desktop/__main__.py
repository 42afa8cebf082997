import sys

from mana_desktop.cli import main

sys.exit(main())
