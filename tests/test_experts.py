"""The expert directory (/experts), expert pages, profile editing and photos.

Outcomes as in tests/test_expert_comments.py: OK 200, LOGIN 302 to the login page,
DENY 403 "无权访问", HIDE 404 "未找到"."""
from __future__ import annotations

import io

import pytest

from tests.tables import DENY, HIDE, LOGIN, OK, check_outcome
from tests.test_case_permissions import make_png

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "reviewer", "admin")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "reviewer": "王专家", "admin": "平台管理员"}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    from sqlalchemy import select

    from portal.admin.services import revoke_reviewer
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case, Theme
    from portal.extensions import db
    from portal.reviews import services

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "admin",
                                         reviewer=role == "reviewer")
    _id, emails["other"] = factory.user("other@example.org", "李专家", reviewer=True)
    _id, emails["revoked"] = factory.user("revoked@example.org", "已撤销专家", reviewer=True)
    unit = factory.org(emails["org_admin"], name="阳光社工")
    factory.member(unit, emails["org_editor"], "editor")
    published = factory.case(unit, title="公开的案例")
    later_archived = factory.case(unit, title="后来归档的案例")
    with app.app_context():
        reviewer = get_user_by_email(emails["reviewer"])
        theme = db.session.scalar(select(Theme).where(Theme.name == "五社联动"))
        reviewer.reviewer_profile.themes = [theme]
        reviewer.reviewer_profile.bio = "长期研究**社区协商**。<script>alert(1)</script>"
        for case_id, body in ((published, "公开案例的点评"), (later_archived, "归档案例的点评")):
            services.post_comment(reviewer, db.session.get(Case, case_id),
                                  services.CommentData(body=body, declaration="none"))
        revoke_reviewer(None, get_user_by_email(emails["revoked"]))
        db.session.commit()
        from portal.cases.services import transition

        transition(None, db.session.get(Case, later_archived), "archive")
        db.session.commit()
        ids = {role: get_user_by_email(email).id for role, email in emails.items()}
        ids["theme"] = theme.id
        db.session.remove()
    return {"emails": emails, "ids": ids}


TABLE = [
    #     route                            anon   pract  editor o-admin review admin
    ("/experts",                           OK,    OK,    OK,    OK,    OK,    OK),
    ("/experts?theme={theme}",             OK,    OK,    OK,    OK,    OK,    OK),
    ("/experts/{reviewer}",                OK,    OK,    OK,    OK,    OK,    OK),
    # Not reviewers, or no longer: not found for everyone.
    ("/experts/{practitioner}",            HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    ("/experts/{admin}",                   HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    ("/experts/{revoked}",                 HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    ("/experts/999999",                    HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    # Editing: the expert's own page, and the admins for any reviewer profile.
    ("/experts/me/edit",                   LOGIN, DENY,  DENY,  DENY,  OK,    DENY),
    ("/experts/{reviewer}/edit",           LOGIN, DENY,  DENY,  DENY,  OK,    OK),
    ("/experts/{other}/edit",              LOGIN, DENY,  DENY,  DENY,  DENY,  OK),
    ("/experts/{revoked}/edit",            LOGIN, DENY,  DENY,  DENY,  DENY,  OK),
    ("/experts/{practitioner}/edit",       LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("entry", TABLE, ids=[r[0] for r in TABLE])
def test_expert_pages_by_role(client, auth, world, role, entry):
    path, expected = entry[0], dict(zip(ROLES, entry[1:]))[role]
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    response = client.get(path.format(**world["ids"]))
    check_outcome(client, response, expected)


def test_directory_lists_active_reviewers_with_counts_and_filters_by_theme(client, world):
    page = client.get("/experts").get_data(as_text=True)
    assert "王专家" in page and "李专家" in page
    assert "已撤销专家" not in page and "实务工作者" not in page and "平台管理员" not in page
    # Only comments on published cases count.
    assert "已发表点评 1 条" in page and "已发表点评 0 条" in page
    assert "教授" in page and "某大学" in page and "五社联动" in page
    filtered = client.get(f"/experts?theme={world['ids']['theme']}").get_data(as_text=True)
    assert "王专家" in filtered and "李专家" not in filtered


def test_expert_page_lists_only_comments_on_published_cases(client, auth, world):
    for role in ("anonymous", "org_admin", "admin"):
        if role != "anonymous":
            auth.sign_in(world["emails"][role])
        page = client.get(f"/experts/{world['ids']['reviewer']}").get_data(as_text=True)
        assert "公开案例的点评" in page and "公开的案例" in page
        assert "归档案例的点评" not in page and "后来归档的案例" not in page
        # The bio goes through the Markdown allow-list.
        assert "<strong>社区协商</strong>" in page and "<script>alert(1)" not in page
        if role != "anonymous":
            auth.logout()


def test_reviewer_edits_own_profile_with_themes_and_photo(app, client, auth, world):
    auth.login(world["emails"]["reviewer"])
    themes = _theme_ids(app)
    response = client.post("/experts/me/edit", content_type="multipart/form-data", data={
        "title": "副教授", "affiliation": "贵州大学", "expertise": "社区协商、老旧小区改造",
        "bio": "简介", "themes": [str(themes["社区协商议事"]), str(themes["党建引领"])],
        "photo": (io.BytesIO(make_png()), "me.png")})
    assert response.status_code == 302
    with app.app_context():
        from portal.auth.models import User
        from portal.extensions import db

        profile = db.session.get(User, world["ids"]["reviewer"]).reviewer_profile
        assert (profile.title, profile.affiliation) == ("副教授", "贵州大学")
        assert {t.name for t in profile.themes} == {"社区协商议事", "党建引领"}
        photo = profile.photo_name
    assert photo.endswith(".png") and "me" not in photo
    page = client.get(f"/experts/{world['ids']['reviewer']}").get_data(as_text=True)
    assert f"/experts/photos/{photo}" in page and "副教授" in page
    image = client.get(f"/experts/photos/{photo}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert "attachment" not in image.headers.get("Content-Disposition", "")
    assert client.get("/experts/photos/" + "0" * 32 + ".png").status_code == 404


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("photo.png", b"<html><script>alert(1)</script></html>", "无法识别的文件类型"),
    ("photo.png", b"%PDF-1.4 fake", "此处只接受"),
], ids=["html-as-png", "pdf"])
def test_photo_must_be_an_image_by_content(app, client, auth, world, filename, content, message):
    auth.login(world["emails"]["reviewer"])
    response = client.post("/experts/me/edit", content_type="multipart/form-data", data={
        "title": "改了的职称", "photo": (io.BytesIO(content), filename)})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        from portal.auth.models import User
        from portal.extensions import db

        profile = db.session.get(User, world["ids"]["reviewer"]).reviewer_profile
        assert profile.photo_name == "" and profile.title == "教授"
    from pathlib import Path

    folder = Path(app.config["UPLOAD_DIR"])
    assert not folder.exists() or not [p for p in folder.iterdir() if p.suffix in (".png", ".jpg", ".pdf")]


def test_admin_edits_a_reviewer_profile_and_it_is_audited(app, client, auth, world):
    themes = _theme_ids(app)
    auth.login(world["emails"]["admin"])
    response = client.post(f"/experts/{world['ids']['other']}/edit", data={
        "title": "研究员", "affiliation": "社科院", "expertise": "", "bio": "",
        "themes": [str(themes["五社联动"])]})
    assert response.status_code == 302
    filtered = client.get(f"/experts?theme={themes['五社联动']}").get_data(as_text=True)
    assert "李专家" in filtered and "研究员" in filtered
    assert "更新专家资料" in client.get("/admin/audit").get_data(as_text=True)
    # The admin's user page links to the same form.
    assert f"/experts/{world['ids']['other']}/edit" in client.get(
        f"/admin/users/{world['ids']['other']}").get_data(as_text=True)


def test_revoked_reviewer_photo_is_not_served(app, client, auth, world):
    auth.login(world["emails"]["admin"])
    client.post(f"/experts/{world['ids']['revoked']}/edit", content_type="multipart/form-data",
                data={"title": "", "photo": (io.BytesIO(make_png()), "p.png")})
    with app.app_context():
        from portal.auth.models import User
        from portal.extensions import db

        photo = db.session.get(User, world["ids"]["revoked"]).reviewer_profile.photo_name
    assert photo
    assert client.get(f"/experts/photos/{photo}").status_code == 404


def test_nav_links_to_the_directory(client, world):
    assert 'href="/experts"' in client.get("/").get_data(as_text=True)


def _theme_ids(app) -> dict[str, int]:
    from sqlalchemy import select

    from portal.cases.models import Theme
    from portal.extensions import db

    with app.app_context():
        return {t.name: t.id for t in db.session.scalars(select(Theme))}
