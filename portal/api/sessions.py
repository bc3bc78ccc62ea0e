"""/api/v1/sessions and /api/v1/events: the session archive, each session with its running
order, speakers, numbers and materials (the members-only ones only for members), as its page."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from portal import permissions
from portal.api import schemas
from portal.api.cases import expert_ref, theme_refs, unit_ref
from portal.api.common import Int, PageArgs, Text, blueprint, documented, page_response
from portal.models_base import paginate
from portal.rendering import stored_html
from portal.sessions import services
from portal.sessions.models import AgendaKind, Event, SharingSession
from portal.urls import external_url

bp = blueprint("api_sessions", "分享会与活动：每场的议程（出场顺序）、嘉宾、参会数据和资料。")


class SessionListArgs(PageArgs):
    when = Text("when", choices=["upcoming", "past"], metadata={
        "description": "upcoming：即将举行（最近的在前）；past：已举行（最新的在前）；不填：全部"})
    theme = Int("theme", metadata={"description": "主题编号"})
    q = Text("q", maximum=100, metadata={"description": "在标题、简介、议程中查找"})


def event_ref(event) -> dict | None:
    if event is None:
        return None
    return {"id": event.id, "title": event.title, "url": external_url("sessions.event", event_id=event.id)}


def session_summary(session: SharingSession) -> dict:
    return {
        "id": session.id, "title": session.title, "url": external_url("sessions.show", session_id=session.id),
        "api_url": external_url("api_sessions.session", session_id=session.id), "event": event_ref(session.event),
        "starts_at": session.starts_at, "ends_at": session.ends_at, "format": session.format,
        "venue": session.venue, "status": session.status, "themes": theme_refs(session.themes),
        "participants": session.participants, "provinces_count": session.provinces_count,
        "orgs_count": session.orgs_count,
    }


@bp.route("/sessions")
@bp.arguments(SessionListArgs(), location="query", error_status_code=400)
@bp.response(200, schemas.SessionPage)
@documented(bp)
def session_list(args):
    """分享会

    全部场次（最新的在前），或即将举行 / 已举行的场次。"""
    filters = services.SessionFilters(q=args.get("q", ""), theme=args.get("theme"))
    pagination = paginate(services.sessions_statement(filters, args.get("when", "")), page=args["page"],
                          per_page=args["per_page"], count_by=SharingSession.id)
    return page_response(schemas.SessionPage, pagination, [session_summary(s) for s in pagination.items])


def _agenda(user, session: SharingSession) -> list[dict]:
    out = []
    for slot in services.timetable(user, session):
        item = slot.item
        case = item.case if item.kind == AgendaKind.CASE else None
        visible = case is not None and permissions.can_view_case(user, case)
        out.append({
            "position": item.position, "kind": item.kind, "title": item.title, "presenter": item.presenter,
            "unit": unit_ref(item.org) if item.org is not None and permissions.can_view_org(user, item.org) else None,
            "duration_minutes": item.duration_minutes, "starts_at": slot.starts_at,
            "case": {"id": case.id, "title": case.title, "url": external_url("cases.show", case_id=case.id)}
            if visible else None,
        })
    return out


def _material_url(session: SharingSession, material) -> str:
    if material.kind == "link":
        return material.url
    return external_url("sessions.material", session_id=session.id, material_id=material.id)


@bp.route("/sessions/<int:session_id>")
@bp.response(200, schemas.SessionDetail)
@documented(bp, 404)
def session(session_id: int):
    """一场分享会

    时间、形式、主持人、简介与纪要、参与单位、嘉宾（主持、致辞、案例分享、点评、总结）、
    议程（出场顺序与推算的开始时间）和资料。"""
    found = services.get_session(session_id, page=True)
    body = session_summary(found)
    body.update({
        "host": found.host, "description_html": str(stored_html(found, "description")),
        "minutes_html": str(stored_html(found, "minutes")),
        "recording_url": services.safe_recording_url(found.recording_url),
        "units": [unit_ref(o) for o in found.organizations if permissions.can_view_org(current_user, o)],
        "speakers": [{"role": s.role, "name": s.name, "affiliation": s.affiliation,
                      "expert": expert_ref(s.user) if s.user is not None and permissions.is_active_expert(s.user)
                      else None} for s in found.speakers],
        "agenda": _agenda(current_user, found),
        "materials": [{"id": m.id, "title": m.title, "kind": m.kind, "url": _material_url(found, m)}
                      for m in found.materials if permissions.can_view_session_material(current_user, m)],
    })
    return jsonify(schemas.SessionDetail().dump(body))


def event_summary(event: Event) -> dict:
    return {"id": event.id, "title": event.title, "url": external_url("sessions.event", event_id=event.id),
            "api_url": external_url("api_sessions.event", event_id=event.id), "organizer": event.organizer,
            "co_organizers": services.co_organizer_list(event), "themes": theme_refs(event.themes)}


@bp.route("/events")
@bp.arguments(PageArgs(), location="query", error_status_code=400)
@bp.response(200, schemas.EventPage)
@documented(bp)
def event_list(args):
    """活动

    一次活动可以有多个阶段（场次），例如两个阶段的全国案例分享活动。最新的在前。"""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    stmt = select(Event).options(selectinload(Event.themes)).order_by(Event.created_at.desc(), Event.id.desc())
    pagination = paginate(stmt, page=args["page"], per_page=args["per_page"], count_by=Event.id)
    return page_response(schemas.EventPage, pagination, [event_summary(e) for e in pagination.items])


@bp.route("/events/<int:event_id>")
@bp.response(200, schemas.EventDetail)
@documented(bp, 404)
def event(event_id: int):
    """一次活动

    主办、协办、简介，以及各阶段（场次）的概要，按时间先后。"""
    found = services.get_event(event_id, page=True)
    body = event_summary(found)
    body.update({"description_html": str(stored_html(found, "description")),
                 "sessions": [session_summary(s) for s in found.sessions]})
    return jsonify(schemas.EventDetail().dump(body))
