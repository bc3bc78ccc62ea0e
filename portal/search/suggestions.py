"""Type-ahead for the search boxes: themes, published case titles and verified units whose names
hold the typed text. Plain SQL (LIKE), no full-text engine call: it runs on every keystroke."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from portal.cases.models import Case, CaseStatus, Theme
from portal.extensions import db
from portal.orgs.models import Organization, OrgStatus
from portal.search.analysis import segment

MAX_CHARS = 30
MAX_CASES = 5
MAX_THEMES = 3
MAX_ORGS = 3
MAX_WORDS = 6  # enough for a title-sized query; each word is one more LIKE

_ALNUM = re.compile(r"[^\W_]")


@dataclass
class Suggestions:
    themes: list[str] = field(default_factory=list)
    cases: list[tuple[int, str]] = field(default_factory=list)  # (id, title)
    orgs: list[tuple[int, str]] = field(default_factory=list)  # (id, name)


def clean(raw: str) -> str:
    """The typed text without control, format or unassigned characters (NUL and surrogates
    break PostgreSQL), cut to MAX_CHARS; '' when no letter, digit or CJK character is left."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in (raw or "")[:MAX_CHARS * 4])
    text = " ".join(text.split())[:MAX_CHARS]
    return text if _ALNUM.search(text) else ""


def _contains(column, text: str):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def find(raw: str) -> Suggestions:
    text = clean(raw)
    out = Suggestions()
    if not text:
        return out
    published = Case.status == CaseStatus.PUBLISHED
    newest = (Case.published_at.desc(), Case.id.desc())
    out.cases = [(r.id, r.title) for r in db.session.execute(
        select(Case.id, Case.title).where(published, _contains(Case.title, text)).order_by(*newest).limit(MAX_CASES))]
    if len(out.cases) < MAX_CASES:
        # Titles holding all the words in any order and with other text between them
        # (社区 养老 finds 社区居家养老服务); words are lower-case and width-folded.
        words = list(dict.fromkeys(term for term, _pos, _s, _e in segment(text, search=False)))[:MAX_WORDS]
        if words:
            found = [case_id for case_id, _title in out.cases]
            title = func.lower(Case.title)
            more = select(Case.id, Case.title).where(published, and_(*(_contains(title, w) for w in words)))
            if found:
                more = more.where(Case.id.not_in(found))
            out.cases += [(r.id, r.title) for r in db.session.execute(
                more.order_by(*newest).limit(MAX_CASES - len(out.cases)))]
    out.themes = list(db.session.scalars(
        select(Theme.name).where(Theme.retired.is_(False), _contains(Theme.name, text)).order_by(Theme.position, Theme.id)
        .limit(MAX_THEMES)))
    out.orgs = [(r.id, r.name) for r in db.session.execute(
        select(Organization.id, Organization.name).where(Organization.status == OrgStatus.VERIFIED,
                                                         _contains(Organization.name, text))
        .order_by(Organization.name).limit(MAX_ORGS))]
    return out
