"""Details that erode trust (issue 12 §7): attributes cut short, duplicate ids, raw audit targets,
notification quotes, list styles leaking into Markdown, follow links leaving their chips."""
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import csrf_token


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str):
    parser = _Collect()
    parser.feed(html)
    return parser.tags


def test_search_placeholder_is_not_cut_at_the_quotes(client):
    tags = _tags(client.get("/search").get_data(as_text=True))
    box = next(attrs for tag, attrs in tags if tag == "input" and attrs.get("id") == "q")
    assert box["placeholder"] == '例如：五社联动 社工站、"易地扶贫搬迁"、养老 -城市'
    assert all(name in ("id", "name", "type", "enterkeyhint", "value", "maxlength", "autocomplete", "spellcheck", "placeholder", "role",
                        "aria-autocomplete", "aria-expanded", "aria-controls") or name.startswith("data-")
               for name in box), box


def test_footer_language_links_lead_back_to_the_page(client):
    tags = _tags(client.get("/about").get_data(as_text=True))
    links = [attrs["href"] for tag, attrs in tags if tag == "a" and attrs.get("href", "").startswith("/language/")]
    assert links == ["/language/zh_CN?next=/about", "/language/en?next=/about"]


def test_case_editor_pages_repeat_no_id(client, auth, factory):
    _, email = factory.user("editor@example.org")
    draft = factory.case(factory.org(email), "草稿案例", status="draft")
    auth.login(email)
    for path in ("/cases/new", f"/cases/{draft}/edit"):
        html = client.get(path).get_data(as_text=True)
        ids = [attrs["id"] for _, attrs in _tags(html) if "id" in attrs]
        assert len(ids) == len(set(ids)), (path, sorted(i for i in set(ids) if ids.count(i) > 1))
        assert "csrf_token" not in ids, path  # the hidden token has no id (every form on the page has one)
        # the layout's log-out button still carries its token, besides the page's own forms
        assert html.count('name="csrf_token"') >= 2, path
    # a token without its id still passes CSRF protection (the language switch, as a POST from
    # pages rendered before it became links)
    response = client.post("/language/en", data={"csrf_token": csrf_token(client, "/cases/new"), "next": "/about"})
    assert response.status_code == 302 and "lang=en" in response.headers.get("Set-Cookie", "")


def test_audit_log_names_its_targets(app, client, auth, factory):
    from portal.admin import audit
    from portal.auth.models import User
    from portal.extensions import db

    _, boss = factory.user("boss@example.org", "平台管理员", admin=True)
    li_id, li = factory.user("li@example.org", "李明")
    gone_id, _ = factory.user("gone@example.org", "将被删除")
    with app.app_context():
        audit.record(None, "user.disable", db.session.get(User, li_id))
        gone = db.session.get(User, gone_id)
        audit.record(None, "user.disable", gone)
        db.session.commit()
        db.session.delete(db.session.get(User, gone_id))
        db.session.commit()
    auth.login(boss)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f'<a href="/admin/users/{li_id}">李明</a>' in page
    assert f"users #{li_id}" not in page
    assert f"users #{gone_id}" in page, "a deleted target falls back to type #id"


def _css_rules() -> list[tuple[str, str]]:
    import re

    css = (Path(__file__).parent.parent / "portal/static/css/site.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [(sel.strip(), body) for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def test_markdown_lists_in_expert_comments_keep_their_normal_style():
    """The expert page's list of comments must not draw separator lines under (or strip numbers from)
    the items of a numbered list written inside a comment."""
    rules = _css_rules()
    selectors = [s.strip() for sel, _ in rules for s in sel.split(",")]
    assert not [s for s in selectors if s.startswith(".expert-comment-list ") and not s.startswith(".expert-comment-list >")]
    # list-style: none is inherited by nested lists: Markdown lists set theirs back
    prose_lists = [body for sel, body in rules if ".prose ol" in sel]
    assert prose_lists and "list-style" in prose_lists[0]


def test_follow_link_stays_with_its_theme_chip():
    rules = _css_rules()
    chip = " ".join(body for sel, body in rules if sel == ".theme-chip")
    assert "nowrap" in chip and "inline-flex" in chip
    assert any("nowrap" in body for sel, body in rules if sel == ".chip-follow")


def test_notification_texts_put_titles_in_one_kind_of_quotes(app, factory):
    """Case titles in notification texts are always in 《》, so a title that itself holds “” never nests."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from portal.auth.models import User
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.reviews import assignments

    title = "“火塘会”里的村寨议事"
    admin_id, _ = factory.user("boss@example.org", "平台管理员", admin=True)
    expert_id, _ = factory.user("expert@example.org", "专家甲", reviewer=True)
    _, editor = factory.user("editor@example.org", "编辑乙")
    case_id = factory.case(factory.org(editor), title, status="submitted")
    with app.app_context():
        case = db.session.get(Case, case_id)
        assignments.assign_reviewer(db.session.get(User, admin_id), case, expert_id,
                                    due_on=date.today() + timedelta(days=7))
        assignments.save_internal_review(db.session.get(User, expert_id), case, "publish", "结构清楚。")
        db.session.commit()
        texts = list(db.session.scalars(select(Notification.text)))
    about = [t for t in texts if "火塘会" in t]
    assert len(about) >= 3, texts  # submitted, assigned, internal review
    for text in about:
        assert f"《{title}》" in text, text
        assert f"“{title}”" not in text, text


def test_session_time_range_reads_the_same_everywhere(app, client, factory):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from portal.auth.models import User
    from portal.extensions import db
    from portal.sessions import services

    def beijing(day, hour):
        return datetime(2031, 5, day, hour, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC).replace(tzinfo=None)

    admin_id, _ = factory.user("boss@example.org", "平台管理员", admin=True)
    with app.app_context():
        admin = db.session.get(User, admin_id)
        one = services.create_session(admin, services.SessionData(
            title="半天的分享会", starts_at=beijing(8, 14), ends_at=beijing(8, 17), venue="腾讯会议"))
        two = services.create_session(admin, services.SessionData(
            title="跨天的分享会", starts_at=beijing(9, 20), ends_at=beijing(10, 9), venue="腾讯会议"))
        db.session.commit()
        one_id, two_id = one.id, two.id

    def text_of(path):
        from lxml import html

        return " ".join(html.fromstring(client.get(path).get_data(as_text=True)).itertext())

    for path in (f"/sessions/{one_id}", "/sessions"):
        text = text_of(path)
        assert "2031-05-08 14:00–17:00" in text, path
        assert " –" not in text and "– " not in text, path
    assert "2031-05-09 20:00–2031-05-10 09:00" in text_of(f"/sessions/{two_id}")
