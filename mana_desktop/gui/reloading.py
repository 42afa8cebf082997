"""Pages that re-read their data when shown, and on data changes only while visible."""

from __future__ import annotations

from typing import Any


class ReloadsWhenShown:
    """Mixin for a QWidget page with a `reload()`: a hidden page does no work for changes it
    would not show; showing it reads fresh data anyway. List it before QWidget."""

    def reload(self) -> None:
        raise NotImplementedError

    def _on_data_changed(self, _changed: object) -> None:
        if self.isVisible():  # type: ignore[attr-defined]
            self.reload()

    def showEvent(self, event: Any) -> None:  # Qt's name
        super().showEvent(event)  # type: ignore[misc]
        self.reload()
