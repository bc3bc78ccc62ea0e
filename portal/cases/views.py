from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import permissions, uploads
from portal.cases import history, page, services, viewcount
from portal.cases.forms import CaseForm, TransitionForm, UploadForm
from portal.cases.models import Case, CommunityType
from portal.errors import PermissionDenied, ValidationError
from portal.extensions import db
from portal.forms import ActionForm
from portal.orgs.models import Organization
from portal.prepared import prepared_statements
from portal.regions import PROVINCES
from portal.storage import upload_dir
from portal.urls import query_int
from portal.web import FAILED, FilterChip, run_action, run_form_action

bp = Blueprint("cases", __name__)


def _filters() -> services.CaseFilters:
    return services.CaseFilters.from_args(request.args)


def _list_args(filters: services.CaseFilters) -> dict:
    """The list's query string without the page number (empty filters left out)."""
    args = {"theme": filters.theme, "province": filters.province, "community_type": filters.community_type,
            "year": filters.year, "org": filters.org, "featured": "1" if filters.featured else None,
            "sort": None if filters.sort == "newest" else filters.sort}
    return {name: value for name, value in args.items() if value not in (None, "")}


def _filter_chips(filters: services.CaseFilters, args: dict, themes, org) -> list[FilterChip]:
    def without(name):
        return url_for(".index", **{k: v for k, v in args.items() if k != name})

    theme = next((t for t in themes if t.id == filters.theme), None)
    chips = [
        (filters.theme, _("主题"), theme.name if theme else f"#{filters.theme}", "theme"),
        (filters.province, _("省级行政区"), filters.province, "province"),
        (filters.community_type, _("社区类型"), filters.community_type, "community_type"),
        (filters.year, _("年份"), str(filters.year), "year"),
        (filters.org, _("单位"), org.name if org else f"#{filters.org}", "org"),
        (filters.featured, _("只看精选"), "", "featured"),
    ]
    return [FilterChip(label, value, without(name)) for active, label, value, name in chips if active]


@bp.route("/cases")
def index():
    filters = _filters()
    cases = services.list_published(filters, page=request.args.get("page", 1, type=query_int))
    org = db.session.get(Organization, filters.org) if filters.org else None
    if org is not None and not permissions.can_view_org(current_user, org):
        org = None  # pending and rejected units do not leak their name through the filter
    themes = services.filter_themes()
    args = _list_args(filters)
    # The feed that follows the same cases: one of theme, province or unit; else all new cases.
    scoped = {name: value for name, value in (("theme", filters.theme), ("province", filters.province),
                                              ("org", org.id if org else None)) if value}
    feed_args = scoped if len(scoped) == 1 else {}
    return render_template("cases/index.html", cases=cases, filters=filters, themes=themes, feed_args=feed_args,
                           provinces=PROVINCES, years=services.published_years(),
                           community_types=[t.value for t in CommunityType], org=org, list_args=args,
                           chips=_filter_chips(filters, args, themes, org),
                           clear_url=url_for(".index", sort=args.get("sort")))


@bp.route("/cases/mine")
@login_required
def mine():
    status = request.args.get("status", "")
    status = status if status in services.STATUS_LABELS else ""
    q = request.args.get("q", "").strip()[:100]
    cases = services.unit_cases_page(current_user, status=status, q=q,
                                     page=request.args.get("page", 1, type=query_int))
    return render_template("cases/mine.html", cases=cases, status=status, q=q,
                           counts=services.unit_case_counts(current_user), statuses=services.STATUS_LABELS,
                           orgs=services.orgs_for_new_case(current_user))


@bp.route("/cases/queue")
@login_required
def queue():
    if not permissions.can_curate(current_user):
        raise PermissionDenied(_("只有平台管理员（审核人）可以查看审核队列。"))
    status = request.args.get("status", "")
    return render_template("cases/queue.html", cases=services.curation_queue(status or None), status=status)


@bp.route("/cases/<int:case_id>")
@prepared_statements
def show(case_id: int):
    case = services.get_visible_case(current_user, case_id, page=True)
    if case.is_published and not permissions.is_case_unit_member(current_user, case):
        viewcount.record(case.id)  # counted in memory or Redis, written in batches: no UPDATE here
    return page.render_case_page(case)


def _case_data(form: CaseForm) -> services.CaseData:
    return services.CaseData(
        **{name: form[name].data for name in services.CONTENT_FIELDS},
        themes=list(form.themes.data or []), tags=form.tag_list())


def _render_form(form, case, status=200):
    # The editor's 插入图片 menu: the case's images, at the address the Markdown cleaner allows.
    images = [{"name": a.original_name, "url": url_for(".inline_image", stored_name=a.stored_name)}
              for a in case.attachments if a.is_image] if case else None
    return render_template("cases/form.html", form=form, case=case, images=images,
                           can_submit=case is None or permissions.can_transition_case(current_user, case, "submit"),
                           missing=services.missing_parts(case) if case else None,
                           findings=services.privacy_findings(case) if case else None,
                           upload_form=UploadForm(), action_form=ActionForm()), status


def _after_save(case: Case):
    """The 保存并提交审核 button leads on to the submit page (completeness and privacy check)."""
    if request.form.get("then") == "submit" and permissions.can_transition_case(current_user, case, "submit"):
        return redirect(url_for(".submit", case_id=case.id))
    return redirect(url_for(".edit", case_id=case.id))


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new():
    orgs = services.orgs_for_new_case(current_user)
    if not orgs:
        flash(_("只有已认证单位的成员可以发布案例。请先申请注册单位或接受单位邀请。"), "info")
        return redirect(url_for("orgs.mine"))
    form = CaseForm(themes=services.active_themes(), orgs=orgs)
    if form.validate_on_submit():
        org = next((o for o in orgs if o.id == form.org_id.data), orgs[0])
        case = run_form_action(form, lambda: services.create_case(current_user, org, _case_data(form)),
                               _("草稿已保存。补全所有必填内容并通过隐私检查后即可提交审核。"))
        if case is not FAILED:
            return _after_save(case)
    return _render_form(form, None, 422 if form.errors else 200)


def _editable(case_id: int) -> Case:
    case = services.get_visible_case(current_user, case_id)
    services.require_case_editor(current_user, case)
    return case


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: int):
    case = _editable(case_id)
    themes = services.active_themes() + [t for t in case.themes if t.retired]
    form = CaseForm(obj=case, themes=themes)
    if request.method == "GET":
        form.themes.data = [t.name for t in case.themes]
        form.tags.data = "、".join(t.name for t in case.tags)
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.update_case(current_user, case, _case_data(form)),
                           _("已保存。")) is not FAILED:
            return _after_save(case)
    return _render_form(form, case, 422 if form.errors else 200)


@bp.route("/cases/<int:case_id>/submit", methods=["GET", "POST"])
@login_required
def submit(case_id: int):
    case = services.get_visible_case(current_user, case_id)
    if "submit" not in services.allowed_actions(current_user, case):
        raise PermissionDenied(_("该案例当前不能提交。"))
    form = TransitionForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.transition(current_user, case, "submit", form.reason.data or "")
        except ValidationError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            status = 422
        else:
            db.session.commit()
            flash(_("已提交审核。审核人会尽快处理，结果会显示在案例的流程记录中。"), "success")
            return redirect(url_for(".show", case_id=case.id))
    return render_template("cases/submit.html", case=case, form=form, missing=services.missing_parts(case),
                           findings=services.privacy_findings(case), action_form=ActionForm()), status


@bp.route("/cases/<int:case_id>/privacy", methods=["POST"])
@login_required
def privacy(case_id: int):
    case = _editable(case_id)
    key = request.form.get("key", "")
    if request.form.get("decision") == "mask":
        run_action(lambda: services.mask_finding(current_user, case, key), _("已遮盖该信息。"))
    else:
        run_action(lambda: services.confirm_not_personal(current_user, case, key),
                   _("已记录：该项不是个人信息。"))
    return redirect(request.form.get("back") == "submit" and url_for(".submit", case_id=case.id)
                    or url_for(".edit", case_id=case.id) + "#privacy")


@bp.route("/cases/<int:case_id>/transition", methods=["POST"])
@login_required
def change_status(case_id: int):
    case = services.get_visible_case(current_user, case_id)
    action = request.form.get("action", "")
    form = TransitionForm()
    if action == "submit":
        return redirect(url_for(".submit", case_id=case.id))
    form.validate()
    label = _(services.ACTION_LABELS.get(action, action))
    run_action(lambda: services.transition(current_user, case, action, form.reason.data or ""),
               _("已完成：%(a)s。", a=label))
    if not permissions.can_view_case(current_user, case):
        return redirect(url_for(".mine"))
    return redirect(url_for(".show", case_id=case.id))


@bp.route("/cases/<int:case_id>/feature", methods=["POST"])
@login_required
def feature(case_id: int):
    case = services.get_visible_case(current_user, case_id)
    featured = request.form.get("featured") == "1"
    run_action(lambda: services.set_featured(current_user, case, featured),
               _("已设为精选。") if featured else _("已取消精选。"))
    return redirect(url_for(".show", case_id=case.id))


@bp.route("/cases/<int:case_id>/delete", methods=["POST"])
@login_required
def delete(case_id: int):
    case = services.get_visible_case(current_user, case_id)
    if run_action(lambda: services.delete_case(current_user, case), _("案例“%(t)s”已删除。", t=case.title)):
        return redirect(url_for(".mine"))
    return redirect(url_for(".show", case_id=case_id))


@bp.route("/cases/<int:case_id>/history")
@login_required  # only the unit and curators see it: a logged-out member is asked to log in
def history_view(case_id: int):
    case = services.get_visible_case(current_user, case_id)
    if not permissions.can_see_case_timeline(current_user, case):
        abort(404)
    revisions = history.revisions(case)
    old_n = request.args.get("a", type=query_int)
    new_n = request.args.get("b", type=query_int, default=0)
    changes = None
    if old_n is not None:
        old, new = history.get_revision(case, old_n), history.get_revision(case, new_n)
        changes = history.compare(old, new)
    return render_template("cases/history.html", case=case, revisions=revisions, changes=changes,
                           old_n=old_n, new_n=new_n)


# Attachments -------------------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/attachments", methods=["POST"])
@login_required
def upload(case_id: int):
    case = _editable(case_id)
    form = UploadForm()
    as_cover = request.form.get("cover") == "1"
    if not form.validate_on_submit():
        flash(" ".join(form.file.errors) or _("请选择要上传的文件。"), "error")
    else:
        storage_file = form.file.data
        data = storage_file.read()
        action = services.set_cover if as_cover else services.add_attachment
        run_action(lambda: action(current_user, case, storage_file.filename or "", data),
                   _("封面已更新。") if as_cover else _("附件已上传。"))
    return redirect(url_for(".edit", case_id=case.id) + "#attachments")


@bp.route("/cases/<int:case_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(case_id: int, attachment_id: int):
    case = _editable(case_id)
    attachment = services.get_attachment(case, attachment_id)
    run_action(lambda: services.delete_attachment(current_user, case, attachment), _("附件已删除。"))
    return redirect(url_for(".edit", case_id=case.id) + "#attachments")


@bp.route("/cases/<int:case_id>/attachments/<int:attachment_id>")
def download(case_id: int, attachment_id: int):
    case = services.get_visible_case(current_user, case_id)
    attachment = services.get_attachment(case, attachment_id)
    inline = attachment.is_image and request.args.get("inline") == "1"
    return _send(attachment, inline)


@bp.route("/uploads/<stored_name>")
def inline_image(stored_name: str):
    """Images embedded in case text (the sanitizer only allows /uploads/ sources)."""
    return _send(services.attachment_by_stored_name(current_user, stored_name), inline=True)


def _send(attachment, inline: bool):
    return uploads.send_stored(attachment.stored_name, upload_dir(), mimetype=attachment.mime, inline=inline,
                               download_name=attachment.original_name, public=attachment.case.is_published)


@bp.route("/cases/import", methods=["GET", "POST"])
@login_required
def import_word():
    orgs = services.orgs_for_new_case(current_user)
    if not orgs:
        flash(_("只有已认证单位的成员可以发布案例。请先申请注册单位或接受单位邀请。"), "info")
        return redirect(url_for("orgs.mine"))
    form = UploadForm()
    if form.validate_on_submit():
        org = next((o for o in orgs if o.id == request.form.get("org_id", type=query_int)), orgs[0])
        upload_file = form.file.data
        try:
            case = services.import_word(current_user, org, upload_file.filename or "", upload_file.read())
        except ValidationError as exc:
            db.session.rollback()
            form.file.errors = [exc.message]
        else:
            db.session.commit()
            flash(_("已从 Word 文档生成草稿。请逐项检查各部分内容，再保存或提交。"), "success")
            return redirect(url_for(".edit", case_id=case.id))
    return render_template("cases/import.html", form=form, orgs=orgs), 422 if form.errors else 200
