"""The preview's rules: the text is cleaned and rendered exactly as the saved pages show it."""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from portal.errors import ValidationError
from portal.text import render_markdown

#: The longest Markdown text any form stores (session minutes, portal.sessions.services.common).
MAX_PREVIEW_CHARS = 50000


def stored_form(source: str | None) -> str:
    """What the services store: plain LF line breaks, no surrounding blank space."""
    return (source or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def render_preview(source: str | None) -> Markup:
    text = stored_form(source)
    if len(text) > MAX_PREVIEW_CHARS:
        raise ValidationError(_("内容太长，无法预览：最多 %(n)d 个字符，当前 %(m)d 个。", n=MAX_PREVIEW_CHARS, m=len(text)))
    return render_markdown(text)
