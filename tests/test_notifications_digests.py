"""New cases in followed things, told in groups: a bulk import is one line in the notification
centre per followed thing (its count raised while unread), and e-mail comes as a digest, daily or
weekly as each person chose, from `flask --app wsgi notifications send-digests`: one e-mail per
person, each case in at most one digest, nothing on a second run. Times are passed as ``now``.

The world: 阳光社工 (a verified unit in 贵州省) and five followers of the theme 养老服务: one with
the defaults (站内 + daily digest), one weekly, one who also follows 贵州省, one who chose 不发送
and one who turned the in-app line off.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.conftest import mail_messages

UNIT = "贵阳市阳光社工服务中心"
THEME = "养老服务"
FANS = ("daily_fan", "weekly_fan", "both_fan", "never_fan", "no_app_fan")


def theme_id(app, name=THEME):
    from sqlalchemy import select

    from portal.cases.models import Theme
    from portal.extensions import db

    with app.app_context():
        return db.session.scalar(select(Theme.id).where(Theme.name == name))


def build_world(app, factory) -> dict:
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications import services

    _id, admin = factory.user("unit_admin@example.org", "单位管理员")
    unit = factory.org(admin, name=UNIT)
    theme = theme_id(app)
    emails = {name: factory.user(f"{name}@example.org", name)[1] for name in FANS}
    with app.app_context():
        for name, email in emails.items():
            user = get_user_by_email(email)
            services.follow(user, "theme", str(theme))
            if name == "both_fan":
                services.follow(user, "province", "贵州省")
            choices = services.preferences(user)
            if name == "no_app_fan":
                choices["followed_case"] = (False, True)
            digest = {"weekly_fan": "weekly", "never_fan": "never"}.get(name)
            services.save_preferences(user, choices, digest)
        db.session.commit()
    return {"emails": emails, "unit": unit, "theme": theme, "admin": admin}


@pytest.fixture
def app_config():
    # The search index is not what these tests read; leaving it to `search drain` saves indexing
    # each imported case.
    return {"WTF_CSRF_ENABLED": False, "SEARCH_SYNC": "off"}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def import_cases(runner, tmp_path, count, start=0, theme=THEME):
    lines = [json.dumps({"external_id": f"bulk-{n}", "title": f"养老服务案例第{n}号", "summary": "社区养老服务。",
                         "background": "老人多。", "approach": "上门服务。", "outcomes": "服务千人次。",
                         "lessons": "需求导向。", "themes": [theme], "province": "贵州省", "city": "贵阳市",
                         "community_type": "城市社区"}, ensure_ascii=False)
             for n in range(start, start + count)]
    path = tmp_path / f"cases-{start}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["cases", "import", str(path), "--org", UNIT, "--publish"])
    assert f"新建 {count} 个" in result.output, result.output


def notes(app, email) -> list[dict]:
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications.models import Notification

    with app.app_context():
        user = get_user_by_email(email)
        out = [{"id": n.id, "text": n.text, "url": n.url, "count": n.count, "read": n.read_at is not None}
               for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                           .order_by(Notification.id))]
        db.session.remove()
    return out


def digests_to(app, email) -> list:
    return [m for m in mail_messages(app) if m["To"] == email and "案例摘要" in m["Subject"]]


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def send(app, days=0.0):
    """The digest job as cron would run it, ``days`` from now."""
    from portal.extensions import db
    from portal.models_base import utcnow
    from portal.notifications.digests import send_digests

    with app.app_context():
        run = send_digests(now=utcnow() + timedelta(days=days))
        db.session.remove()
    return run


# In the notification centre ----------------------------------------------------------------------

def test_a_bulk_import_of_50_cases_is_one_grouped_notification_per_follower(app, client, auth, runner, tmp_path,
                                                                            world):
    e, theme = world["emails"], world["theme"]
    import_cases(runner, tmp_path, 50)

    for name in ("daily_fan", "weekly_fan", "both_fan", "never_fan"):
        assert [(n["text"], n["url"], n["count"]) for n in notes(app, e[name])] == [
            (f"主题“{THEME}”新增 50 个案例", f"/cases?theme={theme}", 50)], name
    assert notes(app, e["no_app_fan"]) == []
    assert [m for m in mail_messages(app) if m["To"] in e.values()] == [], "an import mails no follower"
    # The unit is told once, in sum, not of each case's submission and publication.
    assert [n["text"] for n in notes(app, world["admin"])] == ["批量导入：本单位新增 50 个案例，更新 0 个，其中 50 个已发布"]
    assert [m["Subject"] for m in mail_messages(app) if m["To"] == world["admin"]] == [f"批量导入完成：“{UNIT}”"]

    assert auth.login(e["daily_fan"]).status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count("badge-unread") == 1 and f"主题“{THEME}”新增 50 个案例" in page
    response = client.post(f"/notifications/{notes(app, e['daily_fan'])[0]['id']}/open")
    assert response.headers["Location"] == f"/cases?theme={theme}"
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "养老服务案例第49号" in listing


def test_once_read_the_next_cases_start_a_new_line(app, client, auth, runner, tmp_path, world):
    e, theme = world["emails"], world["theme"]
    import_cases(runner, tmp_path, 3)
    assert auth.login(e["daily_fan"]).status_code == 302
    client.post(f"/notifications/{notes(app, e['daily_fan'])[0]['id']}/open")

    import_cases(runner, tmp_path, 1, start=3)
    first, second = notes(app, e["daily_fan"])
    assert (first["count"], first["read"]) == (3, True)
    assert second["text"] == f"您关注的主题“{THEME}”有新案例发布：《养老服务案例第3号》"
    assert second["url"].startswith("/cases/") and not second["read"]
    import_cases(runner, tmp_path, 1, start=4)
    assert [(n["text"], n["url"], n["count"]) for n in notes(app, e["daily_fan"])[1:]] == [
        (f"主题“{THEME}”新增 2 个案例", f"/cases?theme={theme}", 2)]


# Digest e-mail -----------------------------------------------------------------------------------

def test_the_digest_command_sends_one_mail_per_person_and_nothing_on_a_second_run(app, runner, tmp_path, world):
    e, theme = world["emails"], world["theme"]
    import_cases(runner, tmp_path, 50)

    result = runner.invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0, result.output
    assert "发送 3 封" in result.output and "1 位用户未到发送时间" in result.output
    for name in ("daily_fan", "both_fan", "no_app_fan"):
        [mail] = digests_to(app, e[name])
        assert mail["Subject"] == "每日案例摘要：您关注的主题、省份和单位新增 50 个案例"
        body = body_of(mail)
        assert f"主题“{THEME}”新增 50 个案例：" in body and "省份“贵州省”" not in body, "each case once"
        assert len(re.findall(r"《养老服务案例第\d+号》 \S*/cases/\d+", body)) == 10
        assert "……另有 40 个，查看全部：" in body and f"/cases?theme={theme}" in body
        assert "/notifications/preferences" in body
    assert digests_to(app, e["weekly_fan"]) == [] and digests_to(app, e["never_fan"]) == []

    total = len(mail_messages(app))
    result = runner.invoke(args=["notifications", "send-digests"])
    assert "发送 0 封" in result.output and len(mail_messages(app)) == total

    # A case published later the same day waits for tomorrow's digest, and comes alone.
    import_cases(runner, tmp_path, 1, start=50)
    assert send(app).sent == 0
    assert send(app, days=1).sent == 3
    for name in ("daily_fan", "both_fan", "no_app_fan"):
        latest = digests_to(app, e[name])[-1]
        assert latest["Subject"] == "每日案例摘要：您关注的主题、省份和单位新增 1 个案例"
        assert "《养老服务案例第50号》" in body_of(latest) and "第49号" not in body_of(latest)
    assert send(app, days=2).sent == 0


def test_weekly_readers_get_nothing_until_a_week_has_passed(app, runner, tmp_path, world):
    weekly = world["emails"]["weekly_fan"]
    import_cases(runner, tmp_path, 50)
    for days in (0, 1, 3, 6):
        send(app, days)
        assert digests_to(app, weekly) == [], days
    send(app, 7)
    [mail] = digests_to(app, weekly)
    assert mail["Subject"] == "每周案例摘要：您关注的主题、省份和单位新增 50 个案例"

    import_cases(runner, tmp_path, 2, start=50)
    for days in (8, 10, 13):
        send(app, days)
        assert len(digests_to(app, weekly)) == 1, days
    send(app, 14)
    assert digests_to(app, weekly)[-1]["Subject"] == "每周案例摘要：您关注的主题、省份和单位新增 2 个案例"
    send(app, 21)
    assert len(digests_to(app, weekly)) == 2, "nothing new, no e-mail"


def test_choosing_weekly_or_never_on_the_preferences_page(app, client, auth, world):
    from portal.auth.services import get_user_by_email
    from portal.notifications import services

    email = world["emails"]["daily_fan"]
    assert auth.login(email).status_code == 302
    page = client.get("/notifications/preferences").get_data(as_text=True)
    for label in ("不发送", "每日摘要", "每周摘要"):
        assert label in page
    boxes = {re.search(r'name="(\w+)"', tag).group(1): "y" for tag in re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)}
    assert len(boxes) > 10
    for choice in ("weekly", "never", "daily"):
        response = client.post("/notifications/preferences", data={**boxes, "email_followed_case": choice, "save": "1"})
        assert response.status_code == 302
        with app.app_context():
            assert services.digest_choice(get_user_by_email(email)) == choice
        page = client.get("/notifications/preferences").get_data(as_text=True)
        assert f'<option selected value="{choice}">' in page
        assert all(" checked" in tag for tag in re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)), "the boxes stay"
    response = client.post("/notifications/preferences", data={**boxes, "email_followed_case": "hourly", "save": "1"})
    assert response.status_code == 422
    with app.app_context():
        assert services.digest_choice(get_user_by_email(email)) == "daily"


def test_unfollowing_or_choosing_never_drops_the_cases_waiting(app, client, auth, runner, tmp_path, world):
    e = world["emails"]
    import_cases(runner, tmp_path, 5)
    assert auth.login(e["daily_fan"]).status_code == 302
    client.post("/unfollow", data={"target_type": "theme", "key": str(world["theme"])})
    auth.logout()
    assert auth.login(e["no_app_fan"]).status_code == 302
    client.post("/notifications/preferences", data={"email_followed_case": "never", "save": "1"})

    assert send(app).sent == 1
    assert digests_to(app, e["daily_fan"]) == [] and digests_to(app, e["no_app_fan"]) == []
    # Choosing daily again later does not bring back what was dropped.
    client.post("/notifications/preferences", data={"email_followed_case": "daily", "save": "1"})
    assert send(app, days=1).sent == 0 and digests_to(app, e["no_app_fan"]) == []


def test_cases_archived_before_the_digest_are_left_out_and_restored_ones_are_not_sent_twice(
        app, runner, tmp_path, world, factory):
    from sqlalchemy import select

    from portal.cases.models import Case
    from portal.cases.services import transition
    from portal.extensions import db

    fan = world["emails"]["daily_fan"]
    import_cases(runner, tmp_path, 3)
    with app.app_context():
        first = db.session.scalar(select(Case).where(Case.external_id == "bulk-0"))
        transition(None, first, "archive")
        db.session.commit()
    send(app)
    [mail] = digests_to(app, fan)
    assert "新增 2 个案例" in mail["Subject"] and "第0号" not in body_of(mail)

    with app.app_context():
        second = db.session.scalar(select(Case).where(Case.external_id == "bulk-1"))
        transition(None, second, "archive")
        transition(None, second, "restore")
        first = db.session.scalar(select(Case).where(Case.external_id == "bulk-0"))
        transition(None, first, "restore")
        db.session.commit()
    send(app, days=1)
    latest = digests_to(app, fan)[-1]
    assert "新增 1 个案例" in latest["Subject"] and "《养老服务案例第0号》" in body_of(latest)
