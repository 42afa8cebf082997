"""gui layer (see docs/ARCHITECTURE.md): PySide6 windows, list models, the card delegate.

Importing the package applies the PySide6 6.12 / Python 3.11 reference-count workaround
(`qtcompat`) before any other Qt code runs.
"""

from mana_desktop.gui import qtcompat as _qtcompat  # noqa: F401
