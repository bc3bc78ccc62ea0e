"""/compilations: ask for a 案例汇编, follow its progress, download it."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.compilations import services
from portal.compilations.builder import builder
from portal.compilations.models import JobStatus
from portal.errors import ServiceError
from portal.extensions import db, limiter
from portal.urls import absolute_url

bp = Blueprint("compilations", __name__)


@bp.route("/compilations")
def new():
    """The hand-picked list, and what else can be compiled."""
    return render_template("compilations/new.html", cases=request.args.get("cases", ""), error=None,
                           max_cases=services.MAX_CASES)


@bp.route("/compilations/build")
@limiter.limit(lambda: current_app.config["COMPILATION_RATE_LIMIT"])
def build():
    """?session=<id> | event=<id> | theme=<id> | q=<search> | cases=<ids> | call=<id> (its award
    list): the PDF when it is
    kept or small enough to lay out now, else the progress page of its job."""
    given = [(kind, request.args.get(arg, "")) for kind, arg in
             (("session", "session"), ("event", "event"), ("theme", "theme"), ("search", "q"), ("cases", "cases"),
              ("call", "call"))
             if arg in request.args]
    if len(given) != 1:
        return _refused(_("请选择一项要汇编的内容：一场分享会、一次活动、一个主题、一次搜索或自选的案例。"), 400)
    kind, value = given[0]
    # A search's facet filters come as filter_<facet> (theme= names the theme kind above).
    filters = {k[len("filter_"):]: v for k, v in request.args.items() if k.startswith("filter_") and v.strip()}
    try:
        job = services.request_compilation(current_user, kind, value, absolute_url("/"), filters=filters)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        if exc.status_code == 404:
            raise
        return _refused(exc.message, exc.status_code, cases=value if kind == "cases" else "")
    if job.status != JobStatus.DONE:
        if job.total <= services.SYNC_LIMIT:  # small: laid out while the reader waits
            claimed = services.claim(job.id)  # None: another request is laying it out right now
            if claimed is not None:
                services.build(claimed)
        else:
            builder(current_app).notify()
        db.session.expire_all()
        job = services.get_job(job.id)
    if job.status == JobStatus.DONE:
        return redirect(url_for(".download", job_id=job.id))
    return redirect(url_for(".progress", job_id=job.id))


def _refused(message: str, status: int, cases: str = ""):
    return render_template("compilations/new.html", cases=cases, error=message, max_cases=services.MAX_CASES), status


@bp.route("/compilations/<int:job_id>")
def progress(job_id: int):
    job = services.get_job(job_id)
    if services.is_stale(job):  # its worker stopped: this process takes it over
        builder(current_app).notify()
    return render_template("compilations/progress.html", job=job, JobStatus=JobStatus)


@bp.route("/compilations/<int:job_id>.pdf")
def download(job_id: int):
    job = services.get_job(job_id)
    path = services.file_of(job) if job.status == JobStatus.DONE else None
    if path is None:
        return redirect(url_for(".progress", job_id=job.id))
    response = send_file(path, mimetype="application/pdf", max_age=3600, conditional=True, etag=job.key)
    name = f"{job.title}.pdf"
    response.headers["Content-Disposition"] = (f"inline; filename=\"compilation-{job.id}.pdf\"; "
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "public, max-age=3600"  # published cases only; a new build has a new id
    return response
