"""案例汇编: which cases a compilation holds, its cache key, the jobs that build it, and the PDF.

A compilation holds published cases only (what anyone may read), so one build serves everyone
who asks for the same selection; its key covers the selection, the language, the layout
version and every case's last change (the case, its expert comments and the unit's answers),
so a changed case gives a new build and an unchanged selection is never laid out twice.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.cases.models import Case, CaseStatus, Theme
from portal.compilations.models import CompilationJob, JobStatus
from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models_base import utcnow
from portal.timezones import today

#: the most cases one compilation holds
MAX_CASES = 200
#: up to this many cases a compilation is laid out while the reader waits; more go to the worker
SYNC_LIMIT = 8
#: a running job whose worker has not reported for this long is taken over by another
STALE_AFTER = timedelta(minutes=3)
#: raised when the book's layout changes, so that kept PDFs are laid out again
LAYOUT_VERSION = 1
KINDS = ("session", "event", "theme", "search", "cases")


@dataclass
class Selection:
    kind: str
    value: str
    title: str
    subtitle: str
    case_ids: list[int]

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.value}"[:300]


def _published_ids(ids) -> list[int]:
    """The published ones of ``ids``, in the given order, each once."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    found = set(db.session.scalars(select(Case.id).where(Case.id.in_(ids), Case.status == CaseStatus.PUBLISHED)))
    return [i for i in ids if i in found]


def select_cases(kind: str, value: str, filters: dict[str, str] | None = None) -> Selection:
    """The cases of a selection, in the order of the book; a clear refusal for a selection that
    does not exist or holds no case anyone may read. ``filters``: a search's facet filters (the
    search page's theme, province, year ... as chosen there)."""
    from portal.sessions import services as sessions

    value = (value or "").strip()
    if filters and kind != "search":
        raise ValidationError(_("筛选条件只能用于搜索结果的汇编。"))
    if kind == "session":
        session = sessions.get_session(_number(value))
        ids = [i.case_id for i in sessions.ordered_agenda(session) if i.kind == "case" and i.case_id]
        title, subtitle = session.title, _("分享会案例汇编 · %(date)s", date=_date(session.starts_at))
    elif kind == "event":
        event = sessions.get_event(_number(value))
        ids = [i.case_id for phase in sessions.event_phases(event) for i in phase.cases]
        title, subtitle = event.title, _("活动案例汇编 · 共 %(n)d 个阶段", n=len(event.sessions))
    elif kind == "theme":
        theme = db.session.get(Theme, _number(value))
        if theme is None:
            raise NotFound(_("未找到该主题。"))
        ids = db.session.scalars(select(Case.id).where(Case.status == CaseStatus.PUBLISHED,
                                                       Case.themes.any(Theme.id == theme.id))
                                 .order_by(Case.published_at.desc(), Case.id.desc()).limit(MAX_CASES))
        title, subtitle = _("“%(name)s”主题案例汇编", name=theme.name), theme.description
    elif kind == "search":
        from portal.search import service

        if not value:
            raise ValidationError(_("请输入要汇编的搜索词。"))
        filters = {k: v for k, v in sorted((filters or {}).items()) if v}
        ids = []
        try:
            for page in range(1, MAX_CASES // service.MAX_PER_PAGE + 1):
                result = service.search(value, filters=filters, page=page, per_page=service.MAX_PER_PAGE)
                ids += [hit.id for hit in result.hits]
                if page >= result.pages:
                    break
        except service.QueryError as exc:  # an unknown filter name
            raise ValidationError(str(exc)) from exc
        title, subtitle = _("“%(q)s”的搜索结果", q=value[:60]), _("案例汇编")
        if filters:  # the book says what the search was narrowed to, and is kept apart from the whole search's
            subtitle = _("案例汇编 · %(filters)s", filters=" · ".join(
                f"{_(service.FACETS[k])}：{v}" for k, v in filters.items()))
            value = value + "?" + urlencode(filters)
    elif kind == "call":
        from portal.calls import services as calls

        call = calls.get_call(None, _number(value))
        calls.require_results(None, call)
        ids = [e.case_id for group in calls.results(call) for e in group.entries]
        title, subtitle = call.title, _("获奖案例汇编")
    elif kind == "cases":
        wanted = _numbers(value)
        ids = _published_ids(wanted)
        missing = [str(i) for i in wanted if i not in ids]
        if missing:
            raise ValidationError(_("以下编号的案例不存在或尚未公开，无法汇编：%(ids)s", ids="、".join(missing)))
        title, subtitle = _("案例汇编"), _("自选 %(n)d 个案例", n=len(ids))
    else:
        raise NotFound(_("不支持这种汇编。"))
    ids = _published_ids(ids)
    if not ids:
        raise ValidationError(_("这里没有已公开的案例，无法生成案例汇编。"))
    if len(ids) > MAX_CASES:
        raise ValidationError(_("一份汇编最多收录 %(n)d 个案例，请缩小范围。", n=MAX_CASES))
    return Selection(kind, value, title, subtitle or "", ids)


def _number(value: str) -> int:
    from portal.urls import INT_MAX

    if not value.isdecimal() or not 0 < int(value) <= INT_MAX:
        raise NotFound(_("未找到要汇编的内容。"))
    return int(value)


def _numbers(value: str) -> list[int]:
    """Case numbers from what a reader pastes: "3, 5 12" or case addresses (/cases/3)."""
    import re

    numbers = [int(n) for n in re.findall(r"\d+", value) if len(n) <= 9]
    if not numbers:
        raise ValidationError(_("请填写要汇编的案例编号，例如：3, 5, 12。"))
    if len(numbers) > MAX_CASES:
        raise ValidationError(_("一份汇编最多收录 %(n)d 个案例，请缩小范围。", n=MAX_CASES))
    return list(dict.fromkeys(numbers))


def _date(value) -> str:
    from portal.timezones import utc_to_shanghai

    return utc_to_shanghai(value).date().isoformat()


def cache_key(selection: Selection, locale: str) -> str:
    """The selection, the language, the layout and the last change of each case in it."""
    from portal.reviews.models import ExpertComment, UnitResponse

    ids = selection.case_ids
    cases = dict(db.session.execute(select(Case.id, Case.updated_at).where(Case.id.in_(ids))).all())
    comments = dict(db.session.execute(
        select(ExpertComment.case_id, func.max(func.coalesce(ExpertComment.edited_at, ExpertComment.created_at)))
        .where(ExpertComment.case_id.in_(ids)).group_by(ExpertComment.case_id)).all())
    counts = dict(db.session.execute(select(ExpertComment.case_id, func.count()).where(ExpertComment.case_id.in_(ids))
                                     .group_by(ExpertComment.case_id)).all())
    answers = dict(db.session.execute(
        select(ExpertComment.case_id, func.max(UnitResponse.created_at)).join(UnitResponse)
        .where(ExpertComment.case_id.in_(ids)).group_by(ExpertComment.case_id)).all())
    state = [(i, str(cases.get(i)), str(comments.get(i)), counts.get(i, 0), str(answers.get(i))) for i in ids]
    text = json.dumps([LAYOUT_VERSION, selection.name, selection.title, locale, state], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def folder() -> Path:
    path = Path(current_app.config["COMPILATION_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_of(job: CompilationJob) -> Path | None:
    path = folder() / job.file_name if job.file_name else None
    return path if path is not None and path.is_file() else None


def request_compilation(user, kind: str, value: str, base_url: str,
                        filters: dict[str, str] | None = None) -> CompilationJob:
    """The job for this selection in its current state: a finished one when it exists (the
    cache), else a new one, laid out at once when small and left to the worker otherwise."""
    selection = select_cases(kind, value, filters)
    locale = str(get_locale())
    key = cache_key(selection, locale)
    job = db.session.scalar(select(CompilationJob).where(CompilationJob.key == key))
    if job is not None and (job.status != JobStatus.DONE or file_of(job) is not None):
        if job.status == JobStatus.FAILED:  # asked again: try again
            job.status, job.error, job.done = JobStatus.PENDING, "", 0
        return job
    if job is None:
        job = CompilationJob(key=key, selection=selection.name, title=selection.title[:200], total=len(selection.case_ids),
                             requested_by_id=user.id if getattr(user, "is_authenticated", False) else None,
                             spec=json.dumps({"ids": selection.case_ids, "subtitle": selection.subtitle,
                                              "locale": locale, "base_url": base_url}, ensure_ascii=False))
        db.session.add(job)
    else:  # finished, but its file is gone: lay it out again
        job.status, job.done, job.file_name = JobStatus.PENDING, 0, ""
    db.session.flush()
    return job


def claim(job_id: int | None = None) -> CompilationJob | None:
    """Take a pending job (or one whose worker stopped reporting) for this process; None when
    there is none or another process took it first."""
    now = utcnow()
    waiting = (CompilationJob.status == JobStatus.PENDING) | (
        (CompilationJob.status == JobStatus.RUNNING) & (CompilationJob.updated_at < now - STALE_AFTER))
    stmt = select(CompilationJob.id).where(waiting).order_by(CompilationJob.id).limit(1)
    if job_id is not None:
        stmt = stmt.where(CompilationJob.id == job_id)
    found = db.session.scalar(stmt)
    if found is None:
        return None
    taken = db.session.execute(update(CompilationJob).where(CompilationJob.id == found, waiting)
                               .values(status=JobStatus.RUNNING, updated_at=now, done=0)).rowcount
    db.session.commit()
    return db.session.get(CompilationJob, found) if taken else None


def build(job: CompilationJob) -> None:
    """Lay the job's PDF out and keep it; progress is saved case by case. Never raises: a
    failure is recorded on the job (and logged) for the reader to see and retry."""
    spec = json.loads(job.spec)
    try:
        with current_app.test_request_context(base_url=spec["base_url"]), force_locale(spec["locale"]):
            pdf = _layout(job, spec)
        name = f"{job.key}.pdf"
        temporary = folder() / f".{name}.{os.getpid()}"
        temporary.write_bytes(pdf)
        os.replace(temporary, folder() / name)  # readers see the whole file or none
        job.file_name, job.size, job.status, job.finished_at = name, len(pdf), JobStatus.DONE, utcnow()
        job.done = job.total
        _drop_older(job)
        db.session.commit()
    except Exception:
        current_app.logger.exception("compilation %s failed", job.id)
        db.session.rollback()
        job = db.session.get(CompilationJob, job.id)
        job.status, job.error, job.finished_at = JobStatus.FAILED, _("排版时出错，已记录。请稍后重试。"), utcnow()
        db.session.commit()


def _layout(job: CompilationJob, spec: dict) -> bytes:
    import weasyprint

    from portal.reviews.services import averages, case_comments
    from portal.sessions.services import sessions_presenting

    chapters = []
    for n, case_id in enumerate(spec["ids"], start=1):
        case = db.session.get(Case, case_id)
        if case is None or case.status != CaseStatus.PUBLISHED:
            continue  # unpublished since it was asked for
        comments = case_comments(case)
        presented = sessions_presenting(case)
        chapters.append({"case": case, "number": n, "comments": comments, "averages": averages(comments),
                         "sessions": list({i.session_id: i.session for i in presented}.values())})
        job.done, job.updated_at = n, utcnow()
        db.session.commit()  # the progress page reads it; also the heartbeat
    html = render_template("compilations/book.html", title=job.title, subtitle=spec["subtitle"], chapters=chapters,
                           compiled_on=today(), css=(Path(__file__).parent / "book.css").read_text("utf-8"))
    return weasyprint.HTML(string=html, base_url=spec["base_url"],
                           url_fetcher=_site_images(spec["base_url"])).write_pdf()


def _site_images(base_url: str):
    """The only things the layout may load: the site's own images of published cases, read from
    the disk. Any other address (another host, a local file, data:) is refused, so no case text
    can make the server fetch anything."""
    from urllib.parse import urlsplit

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from portal.cases.models import Attachment
    from portal.storage import upload_dir

    host = urlsplit(base_url).netloc

    class SiteImages(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc == host and parts.path.startswith("/uploads/"):
                stored = parts.path.rsplit("/", 1)[-1]
                attachment = db.session.scalar(select(Attachment).where(Attachment.stored_name == stored))
                if attachment is not None and attachment.is_image and attachment.case.is_published:
                    body = (Path(upload_dir()) / attachment.stored_name).read_bytes()
                    return URLFetcherResponse(url, body, {"Content-Type": attachment.mime})
            raise ValueError(f"not loaded in a compilation: {url}")

    return SiteImages()


def _drop_older(job: CompilationJob) -> None:
    """Older finished builds of the same selection: their files and rows go."""
    for old in db.session.scalars(select(CompilationJob).where(CompilationJob.selection == job.selection,
                                                               CompilationJob.id != job.id,
                                                               CompilationJob.status.in_([JobStatus.DONE,
                                                                                          JobStatus.FAILED]))):
        path = file_of(old)
        if path is not None:
            path.unlink(missing_ok=True)
        db.session.delete(old)


def get_job(job_id: int) -> CompilationJob:
    job = db.session.get(CompilationJob, job_id)
    if job is None:
        raise NotFound(_("未找到该案例汇编。"))
    return job


def is_stale(job: CompilationJob) -> bool:
    return job.status == JobStatus.RUNNING and job.updated_at < utcnow() - STALE_AFTER
