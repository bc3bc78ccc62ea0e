"""The session archive: public pages (/sessions, /sessions/<id>, /events/<id>, /series/<id>) and
the platform admins' pages for events, series, sessions, people, running order, materials and
closing a session. Registration and proposals live in portal.sessions.participation."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import permissions, uploads
from portal.cases import page as case_page
from portal.cases import services as case_services
from portal.errors import ValidationError
from portal.forms import ActionForm
from portal.prepared import prepared_statements
from portal.sessions import participation, services
from portal.sessions.forms import (
    AgendaForm,
    EventForm,
    MaterialForm,
    OrgsForm,
    PositionForm,
    RecordForm,
    SeriesForm,
    SessionForm,
    SpeakerForm,
)
from portal.sessions.models import MaterialKind, SessionStatus, SharingSession
from portal.storage import upload_dir
from portal.urls import query_int
from portal.web import FAILED, form_page, run_action, run_form_action

bp = Blueprint("sessions", __name__)


@bp.record_once
def _add_to_case_page(state):
    case_page.register_panel(state.app, "sessions", order=10, template="sessions/_case_sessions.html",
                             build=lambda case, user, listed: services.case_sessions_panel(user, case, listed=listed),
                             anchor="case-sessions", toc=lambda c: _("分享会") if c["case_sessions"] else None,
                             summary="sessions/_case_summary.html", has=services.case_on_agenda)


# Template helpers (registered for every template: the case page shows session links too).

@bp.app_template_filter("session_status")
def _status_label(value) -> str:
    return _(services.STATUS_LABELS.get(value, value))


@bp.app_template_filter("session_format")
def _format_label(value) -> str:
    return _(services.FORMAT_LABELS.get(value, value))


@bp.app_template_filter("speaker_role")
def _role_label(value) -> str:
    return _(services.ROLE_LABELS.get(value, value))


@bp.app_template_filter("material_kind")
def _material_label(value) -> str:
    return _(services.MATERIAL_LABELS.get(value, value))


@bp.app_template_filter("offset")
def _offset(value) -> str:
    return services.format_offset(value)


@bp.app_context_processor
def _session_helpers():
    return {"series_label": services.series_label,
            "comment_excerpt": services.excerpt, "session_title": services.display_title,
            "case_comment_sessions": services.comment_session_choices, "chinese_number": services.chinese_number}


# Public pages ------------------------------------------------------------------------------------

@bp.route("/sessions")
@prepared_statements
def index():
    filters = services.SessionFilters(q=request.args.get("q", "").strip()[:100],
                                      theme=request.args.get("theme", type=query_int))
    return render_template("sessions/index.html", filters=filters, upcoming=services.upcoming_sessions(filters),
                           archive=services.archive_by_year(filters), themes=services.session_themes_in_use())


@bp.route("/sessions/<int:session_id>")
@prepared_statements
def show(session_id: int):
    session = services.get_session(session_id, page=True)
    materials = [(m, permissions.can_view_session_material(current_user, m)) for m in session.materials]
    context = {
        "session": session, "timetable": services.timetable(current_user, session),
        "recording_url": services.safe_recording_url(session.recording_url),
        "comments": services.agenda_comments(session),
        "speakers": services.speakers_by_role(session), "numbers": services.session_numbers(session),
        "materials": materials, "photos": [m for m, visible in materials if visible and m.kind == MaterialKind.PHOTO],
    }
    context.update(participation.session_panel(current_user, session) or {})
    return render_template("sessions/show.html", **context)


@bp.route("/events/<int:event_id>")
def event(event_id: int):
    ev = services.get_event(event_id, page=True)
    return render_template("sessions/event.html", event=ev, figures=services.event_figures(ev),
                           phases=services.event_phases(ev), co_organizers=services.co_organizer_list(ev))


@bp.route("/series/<int:series_id>")
def series(series_id: int):
    return render_template("sessions/series.html", series=services.get_series(series_id))


@bp.route("/sessions/<int:session_id>/materials/<int:material_id>")
def material(session_id: int, material_id: int):
    session = services.get_session(session_id)
    found = services.get_material(session, material_id)
    if found.members_only and not current_user.is_authenticated and found.stored_name:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    found = services.material_for_download(current_user, session, material_id)
    inline = found.file_kind in uploads.IMAGE_KINDS and request.args.get("inline") == "1"
    return uploads.send_stored(found.stored_name, upload_dir(), mimetype=found.mime, inline=inline,
                               download_name=found.original_name or found.title, public=not found.members_only)


# Admin: lists, events and series -----------------------------------------------------------------

def _require_manager() -> None:
    services.require_manager(current_user)


@bp.route("/admin/sessions")
@login_required
def manage_index():
    _require_manager()
    return render_template("sessions/admin_index.html", events=services.all_events(), series_list=services.all_series(),
                           sessions=services.all_sessions())


def _event_form(event=None):
    form = EventForm(obj=event)
    themes = case_services.active_themes() + [t for t in (event.themes if event else []) if t.retired]
    form.themes.choices = [(t.id, t.name) for t in themes]
    if event is not None and request.method == "GET":
        form.themes.data = [t.id for t in event.themes]
    return form


@bp.route("/admin/events/new", methods=["GET", "POST"])
@login_required
def new_event():
    _require_manager()
    form = _event_form()
    return form_page(form, lambda: services.create_event(current_user, form.data_for_service()),
                     _("活动已创建。可以继续为它添加阶段（场次）。"), lambda ev: url_for(".event", event_id=ev.id),
                     "sessions/event_form.html", event=None)


@bp.route("/admin/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id: int):
    _require_manager()
    ev = services.get_event(event_id, page=True)
    form = _event_form(ev)
    return form_page(form, lambda: services.update_event(current_user, ev, form.data_for_service()),
                     _("活动已保存。"), lambda _result: url_for(".event", event_id=ev.id),
                     "sessions/event_form.html", event=ev)


@bp.route("/admin/series/new", methods=["GET", "POST"])
@login_required
def new_series():
    _require_manager()
    form = SeriesForm()
    return form_page(form, lambda: services.create_series(current_user, form.data_for_service()),
                     _("系列已创建。"), lambda created: url_for(".series", series_id=created.id),
                     "sessions/series_form.html", series=None)


@bp.route("/admin/series/<int:series_id>/edit", methods=["GET", "POST"])
@login_required
def edit_series(series_id: int):
    _require_manager()
    found = services.get_series(series_id)
    form = SeriesForm(obj=found)
    return form_page(form, lambda: services.update_series(current_user, found, form.data_for_service()),
                     _("系列已保存。"), lambda _result: url_for(".series", series_id=found.id),
                     "sessions/series_form.html", series=found)


# Admin: a session's details ----------------------------------------------------------------------

def _session_form(session: SharingSession | None = None) -> SessionForm:
    themes = case_services.active_themes() + [t for t in (session.themes if session else []) if t.retired]
    form = SessionForm(obj=session, events=services.all_events(), series=services.all_series(), themes=themes)
    if request.method == "GET":
        if session is not None:
            form.starts_at.data = services.utc_to_shanghai(session.starts_at)
            form.ends_at.data = services.utc_to_shanghai(session.ends_at)
            form.event_id.data = session.event_id or 0
            form.series_id.data = session.series_id or 0
            form.themes.data = [t.id for t in session.themes]
        else:
            form.event_id.data = request.args.get("event", 0, type=query_int)
            form.series_id.data = request.args.get("series", 0, type=query_int)
    return form


@bp.route("/admin/sessions/new", methods=["GET", "POST"])
@login_required
def new_session():
    _require_manager()
    form = _session_form()
    return form_page(form, lambda: services.create_session(current_user, form.data_for_service()),
                     _("场次已创建。接下来可以添加嘉宾、议程和资料。"),
                     lambda created: url_for(".manage", session_id=created.id),
                     "sessions/session_form.html", session=None)


@bp.route("/admin/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int):
    _require_manager()
    session = services.get_session(session_id)
    form = _session_form(session)
    return form_page(form, lambda: services.update_session(current_user, session, form.data_for_service()),
                     _("场次信息已保存。"), lambda _result: url_for(".manage", session_id=session.id),
                     "sessions/session_form.html", session=session)


@bp.route("/admin/sessions/<int:session_id>/delete", methods=["POST"])
@login_required
def delete_session(session_id: int):
    _require_manager()
    session = services.get_session(session_id)
    title = session.title
    if run_action(lambda: services.delete_session(current_user, session), _("场次“%(t)s”已删除。", t=title)):
        return redirect(url_for(".manage_index"))
    return redirect(url_for(".manage", session_id=session_id))


@bp.route("/admin/sessions/<int:session_id>/held", methods=["POST"])
@login_required
def mark_held(session_id: int):
    _require_manager()
    session = services.get_session(session_id)
    run_action(lambda: services.mark_held(current_user, session), _("已标记为已举行。"))
    return redirect(url_for(".manage", session_id=session_id))


# Admin: the management page (people, running order, materials) ------------------------------------

def _render_manage(session: SharingSession, status: int = 200, **forms):
    orgs = services.verified_orgs()
    defaults = {
        "speaker_form": lambda: SpeakerForm(formdata=None, experts=services.expert_choices()),
        "orgs_form": lambda: OrgsForm(formdata=None, orgs=orgs, org_ids=[o.id for o in session.organizations]),
        "agenda_form": lambda: AgendaForm(formdata=None, orgs=orgs),
        "material_form": lambda: MaterialForm(formdata=None),
    }
    for name, make in defaults.items():
        forms.setdefault(name, make())
    return render_template("sessions/manage.html", session=session, agenda=services.ordered_agenda(session),
                           speakers=services.speakers_by_role(session), numbers=services.session_numbers(session),
                           registered=services.registered_count(session), action_form=ActionForm(),
                           position_form=PositionForm(formdata=None), **forms), status


def _managed(session_id: int) -> SharingSession:
    _require_manager()
    return services.get_session(session_id)


@bp.route("/admin/sessions/<int:session_id>")
@login_required
def manage(session_id: int):
    _require_manager()
    return _render_manage(services.get_session(session_id, page=True))


@bp.route("/admin/sessions/<int:session_id>/speakers", methods=["POST"])
@login_required
def add_speaker(session_id: int):
    session = _managed(session_id)
    form = SpeakerForm(experts=services.expert_choices())
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.add_speaker(current_user, session, form.data_for_service()),
                           _("嘉宾已添加。")) is not FAILED:
            return redirect(url_for(".manage", session_id=session_id, _anchor="speakers"))
    return _render_manage(session, 422, speaker_form=form)


@bp.route("/admin/sessions/<int:session_id>/speakers/<int:speaker_id>/edit", methods=["GET", "POST"])
@login_required
def edit_speaker(session_id: int, speaker_id: int):
    session = _managed(session_id)
    speaker = services.get_speaker(session, speaker_id)
    form = SpeakerForm(obj=speaker, experts=services.expert_choices())
    if request.method == "GET":
        form.user_id.data = speaker.user_id or 0
    return form_page(form, lambda: services.update_speaker(current_user, speaker, form.data_for_service()),
                     _("嘉宾信息已保存。"), lambda _result: url_for(".manage", session_id=session_id, _anchor="speakers"),
                     "sessions/speaker_form.html", session=session, speaker=speaker)


@bp.route("/admin/sessions/<int:session_id>/speakers/<int:speaker_id>/delete", methods=["POST"])
@login_required
def delete_speaker(session_id: int, speaker_id: int):
    session = _managed(session_id)
    speaker = services.get_speaker(session, speaker_id)
    run_action(lambda: services.delete_speaker(current_user, speaker), _("嘉宾已移除。"))
    return redirect(url_for(".manage", session_id=session_id, _anchor="speakers"))


@bp.route("/admin/sessions/<int:session_id>/orgs", methods=["POST"])
@login_required
def set_orgs(session_id: int):
    session = _managed(session_id)
    form = OrgsForm(orgs=services.verified_orgs())
    form.validate()
    run_action(lambda: services.set_attending_orgs(current_user, session, list(form.org_ids.data or [])),
               _("参会单位已保存。"))
    return redirect(url_for(".manage", session_id=session_id, _anchor="orgs"))


@bp.route("/admin/sessions/<int:session_id>/agenda", methods=["POST"])
@login_required
def add_agenda(session_id: int):
    session = _managed(session_id)
    form = AgendaForm(orgs=services.verified_orgs())
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.add_agenda_item(current_user, session, form.data_for_service()),
                           _("议程项已添加。")) is not FAILED:
            return redirect(url_for(".manage", session_id=session_id, _anchor="agenda"))
    return _render_manage(session, 422, agenda_form=form)


@bp.route("/admin/sessions/<int:session_id>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_agenda(session_id: int, item_id: int):
    session = _managed(session_id)
    item = services.get_agenda_item(session, item_id)
    form = AgendaForm(obj=item, orgs=services.verified_orgs())
    if request.method == "GET":
        form.case_id.data = str(item.case_id) if item.case_id else ""
        form.org_id.data = item.org_id or 0
        form.recording_offset.data = services.format_offset(item.recording_offset)
    return form_page(form, lambda: services.update_agenda_item(current_user, item, form.data_for_service()),
                     _("议程项已保存。"), lambda _result: url_for(".manage", session_id=session_id, _anchor="agenda"),
                     "sessions/agenda_form.html", session=session, item=item)


@bp.route("/admin/sessions/<int:session_id>/agenda/<int:item_id>/delete", methods=["POST"])
@login_required
def delete_agenda(session_id: int, item_id: int):
    session = _managed(session_id)
    item = services.get_agenda_item(session, item_id)
    run_action(lambda: services.delete_agenda_item(current_user, item), _("议程项已删除，其余各项已重新编号。"))
    return redirect(url_for(".manage", session_id=session_id, _anchor="agenda"))


@bp.route("/admin/sessions/<int:session_id>/agenda/<int:item_id>/move", methods=["POST"])
@login_required
def move_agenda(session_id: int, item_id: int):
    """``direction`` up/down, or ``position`` (1..n)."""
    session = _managed(session_id)
    item = services.get_agenda_item(session, item_id)
    direction = request.form.get("direction", "")
    position = request.form.get("position", type=query_int)

    def action():
        if direction:
            return services.move_agenda_item(current_user, item, direction)
        return services.set_agenda_position(current_user, item, position)

    run_action(action, _("议程顺序已调整。"))
    return redirect(url_for(".manage", session_id=session_id, _anchor="agenda"))


@bp.route("/admin/sessions/<int:session_id>/materials", methods=["POST"])
@login_required
def add_material(session_id: int):
    session = _managed(session_id)
    form = MaterialForm()
    if form.validate_on_submit():
        upload = form.file.data
        kind = form.kind.data or ""
        if kind == MaterialKind.LINK:
            def action():
                return services.add_material_link(current_user, session, form.title.data or "", form.url.data or "",
                                                  members_only=bool(form.members_only.data))
        else:
            def action():
                if not upload or not getattr(upload, "filename", ""):
                    raise ValidationError(_("请选择要上传的文件。"), "file")
                return services.add_material_file(current_user, session, kind, upload.filename or "", upload.read(),
                                                  title=form.title.data or "",
                                                  members_only=bool(form.members_only.data))
        if run_form_action(form, action, _("资料已添加。")) is not FAILED:
            return redirect(url_for(".manage", session_id=session_id, _anchor="materials"))
    return _render_manage(session, 422, material_form=form)


@bp.route("/admin/sessions/<int:session_id>/materials/<int:material_id>/delete", methods=["POST"])
@login_required
def delete_material(session_id: int, material_id: int):
    session = _managed(session_id)
    found = services.get_material(session, material_id)
    run_action(lambda: services.delete_material(current_user, found), _("资料已删除。"))
    return redirect(url_for(".manage", session_id=session_id, _anchor="materials"))


@bp.route("/admin/sessions/<int:session_id>/materials/<int:material_id>/visibility", methods=["POST"])
@login_required
def material_visibility(session_id: int, material_id: int):
    session = _managed(session_id)
    found = services.get_material(session, material_id)
    members_only = request.form.get("members_only") == "1"
    run_action(lambda: services.set_material_members_only(current_user, found, members_only),
               _("已设为仅成员可见。") if members_only else _("已设为公开。"))
    return redirect(url_for(".manage", session_id=session_id, _anchor="materials"))


# Admin: closing a session ---------------------------------------------------------------------------

def _record_form(session: SharingSession) -> RecordForm:
    form = RecordForm(obj=session)
    if request.method == "GET" and session.orgs_count is None and session.organizations:
        form.orgs_count.data = len(session.organizations)
    return form


@bp.route("/admin/sessions/<int:session_id>/close", methods=["GET", "POST"])
@login_required
def close(session_id: int):
    session = _managed(session_id)
    form = _record_form(session)
    archived = session.status == SessionStatus.ARCHIVED
    if request.method == "POST" and form.validate_on_submit():
        told = run_form_action(form, lambda: services.close_session(current_user, session, form.data_for_service()),
                               _("场次已归档，档案已公开。"))
        if told is not FAILED:
            return redirect(url_for(".show", session_id=session.id))
    return render_template("sessions/close.html", form=form, session=session, archived=archived,
                           registered=services.registered_count(session)), \
        422 if request.method == "POST" else 200


@bp.route("/admin/sessions/<int:session_id>/record", methods=["POST"])
@login_required
def update_record(session_id: int):
    session = _managed(session_id)
    form = RecordForm()
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.update_record(current_user, session, form.data_for_service()),
                           _("归档记录已更新。")) is not FAILED:
            return redirect(url_for(".show", session_id=session.id))
    return render_template("sessions/close.html", form=form, session=session,
                           archived=session.status == SessionStatus.ARCHIVED,
                           registered=services.registered_count(session)), 422
