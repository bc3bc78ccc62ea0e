"""Every page and button that is not public sends an anonymous visitor to the login page.

One test over the whole URL map, so that a new route cannot be forgotten: it either redirects
the anonymous to /auth/login or is listed in PUBLIC below (and is then covered by its feature's
permission table). The objects in the URLs are real ones from the demo data, because many
routes look their object up (404) before they ask for a login.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

#: endpoints an anonymous visitor may use (all methods of the endpoint)
PUBLIC = {
    "static", "main.index", "main.about", "main.robots", "main.set_language",
    "auth.login", "auth.logout", "auth.register", "auth.reset_request", "auth.reset_password",
    "api.health", "api.search", "ops.healthz", "ops.readyz",
    "cases.index", "cases.show", "cases.download", "cases.inline_image",
    "search.search_page", "search.suggest",
    "orgs.index", "orgs.show",
    "reviews.experts", "reviews.expert", "reviews.photo",
    "sessions.index", "sessions.show", "sessions.event", "sessions.series", "sessions.material",
    "participation.upcoming_calendar",
    "api_cases.case_list", "api_cases.case", "api_sessions.session_list", "api_sessions.session",
    "api_sessions.event_list", "api_sessions.event", "api_directory.unit_list", "api_directory.unit",
    "api_directory.expert_list", "api_directory.expert", "api_directory.themes", "api-docs.openapi_json",
    "api_docs.docs", "api_stats.stats", "stats.index", "stats.csv",
    "calls.index", "calls.show", "calls.results",
    "compilations.new", "compilations.build", "compilations.progress", "compilations.download",
    # Bearer-token endpoints: 401 JSON without a token (tests/test_api_write.py)
    "api_write.create_case", "api_write.update_case", "api_write.upload", "api_write.privacy_check",
    "api_write.submit",
    "feeds.cases", "feeds.expert_comments", "feeds.sitemap", "feeds.sitemap_pages", "feeds.sitemap_cases",
}


@pytest.fixture
def demo(app, snapshot):
    """The demo data (every kind of object there is), and one id of each kind by URL argument."""
    def build():
        from sqlalchemy import func, select

        from portal.adoptions.models import AdoptionReport
        from portal.api.models import ApiToken
        from portal.api.tokens import create_token
        from portal.auth.models import User
        from portal.calls.models import CallEntry, CaseCall
        from portal.cases.models import Attachment, Case, Theme
        from portal.cases.services import add_attachment
        from portal.demo import seed_demo
        from portal.discussion.models import Comment
        from portal.extensions import db
        from portal.notifications.models import Notification
        from portal.orgs.models import Invitation, Membership, Organization
        from portal.orgs.services import invite_member
        from portal.reviews.models import ExpertComment, ReviewAssignment, RubricDimension
        from portal.sessions.models import (
            AgendaItem,
            CaseProposal,
            Event,
            Series,
            SessionMaterial,
            SessionSpeaker,
            SharingSession,
        )
        from portal.sessions.services import add_material_link
        from tests.test_case_permissions import make_png

        with app.test_request_context():  # the invitation mail builds a link
            seed_demo()
            # What the demo data has none of: a file, an invitation, a session material.
            admin = db.session.scalar(select(User).where(User.is_admin))
            case = db.session.scalar(select(Case).where(Case.status == "published").order_by(Case.id))
            add_attachment(None, case, "照片.png", make_png())
            invite_member(admin, db.session.scalar(select(Organization).order_by(Organization.id)),
                          "invited@example.org", "editor")
            add_material_link(admin, db.session.scalar(select(SharingSession).order_by(SharingSession.id)),
                              "回放", "https://video.example.org/1")
            member = db.session.scalar(select(Membership).order_by(Membership.id))
            create_token(member.user, member.org_id, "演示令牌", "read", 30)
            db.session.commit()
            first = {
                "case_id": Case, "attachment_id": Attachment, "theme_id": Theme, "user_id": User,
                "org_id": Organization, "membership_id": Membership, "invitation_id": Invitation,
                "comment_id": Comment, "report_id": AdoptionReport, "notification_id": Notification,
                "assignment_id": ReviewAssignment, "dimension_id": RubricDimension, "event_id": Event,
                "series_id": Series, "session_id": SharingSession, "item_id": AgendaItem,
                "speaker_id": SessionSpeaker, "material_id": SessionMaterial, "proposal_id": CaseProposal,
                "token_id": ApiToken, "call_id": CaseCall, "entry_id": CallEntry,
            }
            ids = {arg: db.session.scalar(select(func.min(model.id))) for arg, model in first.items()}
            # An expert comment's routes take comment_id too: their own URLs are checked with one.
            ids["expert_comment_id"] = db.session.scalar(select(func.min(ExpertComment.id)))
            db.session.remove()
        return ids

    return snapshot(build, "demo")


def _url(rule, ids: dict) -> str:
    def value(match):
        name = match.group(1)
        if name == "comment_id" and rule.rule.startswith("/expert-comments/"):
            name = "expert_comment_id"
        found = ids.get(name)
        return str(found if found is not None else "x")

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", value, rule.rule)


def test_every_route_that_is_not_public_sends_the_anonymous_to_log_in(app, client, demo):
    missing = [arg for arg, found in demo.items() if found is None]
    assert not missing, f"the demo data has no {missing}: the URLs below would test nothing"
    checked, wrong = 0, []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in PUBLIC:
            continue
        url = _url(rule, demo)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            location = urlsplit(response.headers.get("Location", "")).path
            checked += 1
            if (response.status_code, location) != (302, "/auth/login"):
                wrong.append(f"{method} {url} ({rule.endpoint}): {response.status_code} {location}")
    assert not wrong, "not public, yet not sent to log in:\n" + "\n".join(wrong)
    assert checked > 100  # the map really was walked


def test_public_routes_are_really_listed(app):
    """An endpoint that was renamed or removed must leave PUBLIC too."""
    assert PUBLIC <= {rule.endpoint for rule in app.url_map.iter_rules()}
