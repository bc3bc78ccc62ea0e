"""In a real browser, on a desktop screen (1366x900) and on a phone (390x844): axe-core, the
accessibility engine, finds nothing wrong on the pages most people see (home, the case library,
a case, a search and a sharing session), with the demo data as content; and on the pages each
signed-in role works on (a unit editor's home panel, cases and case editor, notifications and
account; an expert's review queue; an administrator's curation queue and back office).

axe-core is vendored: tests/browser/vendor/axe.min.js (see the README there). It is run in the
page through the DevTools protocol, which the site's Content-Security-Policy does not govern.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def demo_urls(live_server):
    from sqlalchemy import select

    from portal.cases.models import Case
    from portal.demo import seed_demo
    from portal.extensions import db
    from portal.sessions.models import SessionStatus, SharingSession

    with live_server.app.test_request_context():
        seed_demo()
        db.session.commit()
        case = db.session.scalar(select(Case.id).where(Case.status == "published").order_by(Case.id))
        session = db.session.scalar(select(SharingSession.id).where(SharingSession.status == SessionStatus.ARCHIVED)
                                    .order_by(SharingSession.id))
        db.session.remove()
    return ["/", "/cases", f"/cases/{case}", "/search?q=社区议事", f"/sessions/{session}", "/stats"]


def _violations(page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations.map(v => ({id: v.id, impact: v.impact, "
                          "help: v.help, targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5), n: v.nodes.length}))")
    return [f"{v['id']} ({v['impact']}, {v['n']} nodes): {v['help']} -> {v['targets']}" for v in found]


def test_axe_finds_no_violations_on_the_main_pages(live_server, context, demo_urls):
    page = context.new_page()
    report = []
    for screen, size in VIEWPORTS.items():  # one test: the demo data is built once
        page.set_viewport_size(size)
        for url in demo_urls:
            page.goto(f"{live_server.url}{url}")
            report += [f"{screen} {url}: {line}" for line in _violations(page)]
    assert not report, "axe-core found:\n" + "\n".join(report)


#: Demo accounts (portal/demo.py) and the pages each works on.
SIGNED_IN = {
    "unit.editor@demo.example.org": ["/", "/cases/mine", "/cases/new", "/notifications", "/notifications/preferences",
                                     "/auth/account"],
    "expert.zhou@demo.example.org": ["/review/queue"],
    "admin@demo.example.org": ["/cases/queue", "/admin/"],
}


def test_axe_finds_no_violations_on_the_pages_signed_in_roles_work_on(live_server, context, demo_urls):
    from portal.demo import DEMO_PASSWORD

    report = []
    for email, urls in SIGNED_IN.items():
        page = context.new_page()
        log_in(page, live_server.url, email, DEMO_PASSWORD)
        for screen, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            for url in urls:
                response = page.goto(f"{live_server.url}{url}")
                assert response.status == 200, f"{email} {url}: {response.status}"
                report += [f"{screen} {email} {url}: {line}" for line in _violations(page)]
        context.clear_cookies()
        page.close()
    assert not report, "axe-core found:\n" + "\n".join(report)
