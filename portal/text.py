"""User-supplied Markdown to safe HTML. Every route that stores rich text renders it here."""
from __future__ import annotations

import re

import bleach
import markdown
from markupsafe import Markup, escape

# Rendered HTML is stored when text is saved (portal.rendering): after changing the allow-list,
# the attributes, the linkifier or the Markdown extensions, run `flask --app wsgi portal
# rerender-html` and add a migration calling portal.rendering.rerender_table, or pages keep
# showing HTML cleaned by the old rules.
ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "b", "i",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "del", "sup", "sub",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "img": ["src", "alt", "title"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
#: Images may only come from this site's own uploads.
UPLOAD_PREFIX = "/uploads/"


def _image_src_allowed(tag: str, name: str, value: str) -> bool:
    if tag == "img":
        if name == "src":
            return value.startswith(UPLOAD_PREFIX) and ".." not in value
        return name in ("alt", "title")
    return name in ALLOWED_ATTRIBUTES.get(tag, [])


def _link_rel(attrs, new=False):
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = "nofollow noopener"
    return attrs


def make_cleaner(tags=ALLOWED_TAGS) -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=tags,
        attributes=_image_src_allowed,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[],
    )


_cleaner = make_cleaner()


def clean_html(html: str) -> str:
    cleaned = _cleaner.clean(html)
    return bleach.linkify(cleaned, callbacks=[_link_rel], skip_tags={"pre", "code"}, parse_email=False)


def render_markdown(source: str | None) -> Markup:
    """Render Markdown and clean it with the allow-list; raw HTML in the source is sanitized too."""
    if not source:
        return Markup("")
    html = markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    return Markup(clean_html(html))


def plain_summary(html: str, limit: int = 120) -> Markup:
    """Plain text for a page's meta description, from the HTML of a ``{% filter %}`` block: tags
    dropped (the text may be rendered Markdown), white space collapsed, cut to ``limit`` characters
    with an ellipsis, and escaped again (Jinja writes a filter block's result as it is)."""
    text = Markup(html).striptags()
    return escape(text if len(text) <= limit else text[:limit - 1].rstrip() + "…")


#: C0 control characters and DEL, except tab, line feed and carriage return: never meaningful in
#: what people type, and PostgreSQL refuses NUL in text outright.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value) -> bool:
    """True if ``value`` (a string, or a list/dict holding strings, as parsed JSON) holds one."""
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(has_control_characters(k) or has_control_characters(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_control_characters(v) for v in value)
    return False


def strip_control_characters(value: str) -> str:
    return CONTROL_CHARACTERS.sub("", value)
