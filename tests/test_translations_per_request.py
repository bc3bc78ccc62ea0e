"""Templates translate through the request's catalogue, looked up once (portal.templating):
the same strings, %-formatting and escaping as Flask-Babel's own Jinja functions, in both
languages, through render_template and through macros imported without context."""
from __future__ import annotations

import pytest
from flask import render_template_string

TEMPLATE = ("{{ _('浏览 %(n)d 次', n=3) }}|{{ _('取消关注“%(name)s”', name='<b>') }}|"
            "{{ ngettext('%(num)d', '%(num)d', 2) }}|{{ gettext('搜索') }}")


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh_CN", "浏览 3 次|取消关注“&lt;b&gt;”|2|搜索"),
    ("en", "Views: 3|Unfollow “&lt;b&gt;”|2|Search"),
])
def test_template_strings_in_each_language(app, lang, expected):
    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        assert render_template_string(TEMPLATE) == expected  # with the context processor's functions
        assert app.jinja_env.from_string(TEMPLATE).render() == expected  # the globals


def test_a_page_in_english_after_switching(client):
    client.get("/language/en?next=/")
    page = client.get("/cases").get_data(as_text=True)
    assert "Search" in page and "搜索" not in page.split("<footer")[0]
