"""User Markdown is rendered through one bleach allow-list."""
import pytest

from portal.text import render_markdown


@pytest.mark.parametrize("source, forbidden", [
    ("<script>alert(1)</script>正文", "<script"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ("[点我](javascript:alert(1))", "javascript:"),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
    ('<svg onload="alert(1)"><circle/></svg>', "<svg"),
    ('<p style="position:fixed">x</p>', "style="),
    ('<iframe src="https://evil.example/"></iframe>', "<iframe"),
    ("![外链](https://evil.example/track.png)", "evil.example"),
])
def test_dangerous_markup_is_removed(source, forbidden):
    assert forbidden not in str(render_markdown(source))


def test_allowed_markdown_survives_and_links_get_rel():
    html = str(render_markdown(
        "## 做法\n\n- **党建引领**\n- [民政部](https://www.mca.gov.cn)\n\n| 指标 | 数量 |\n|---|---|\n| 社工站 | 755 |\n\n"
        "![照片](/uploads/abc.png)"))
    assert "<h2>做法</h2>" in html and "<strong>党建引领</strong>" in html
    assert 'rel="nofollow noopener"' in html
    assert "<table>" in html and "<td>755</td>" in html
    assert '<img alt="照片" src="/uploads/abc.png">' in html or 'src="/uploads/abc.png"' in html
