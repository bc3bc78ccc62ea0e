"""MarkdownField: a textarea that gets the editor toolbar, and the page-level switch that loads it."""
from __future__ import annotations

from flask import g, has_request_context
from markupsafe import Markup
from wtforms import TextAreaField
from wtforms.widgets import TextArea

ATTRIBUTE = "data-markdown-editor"


def mark_page() -> None:
    """Remember that this response shows a Markdown textarea (base.html then loads editor.js)."""
    if has_request_context():
        g.markdown_editor = True


def page_needs_editor() -> bool:
    return bool(has_request_context() and g.get("markdown_editor"))


def editor_attribute() -> Markup:
    """For textareas written by hand in templates: ``<textarea {{ markdown_editor() }} ...>``."""
    mark_page()
    return Markup(ATTRIBUTE)


class MarkdownTextArea(TextArea):
    def __call__(self, field, **kwargs):
        mark_page()
        kwargs.setdefault(ATTRIBUTE, True)
        return super().__call__(field, **kwargs)


class MarkdownField(TextAreaField):
    """Text stored as Markdown and shown through portal.text.render_markdown."""

    widget = MarkdownTextArea()
