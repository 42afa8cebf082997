"""Markdown from the server, rendered without letting markup through.

markdown-it runs with HTML disabled, so a `<script>` or `<b>` in a concept is shown as text;
links are shown but never opened automatically.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from PySide6.QtWidgets import QTextBrowser, QWidget

_md = MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(text: str) -> str:
    return _md.render(text or "")


class MarkdownView(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)

    def set_markdown_text(self, text: str) -> None:
        self.setHtml(render_markdown(text))
