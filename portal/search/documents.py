"""Search documents: what a case looks like to every search backend (a plain dict of fields).

Fields of :func:`case_document` (all strings unless noted):

* ``id``: the case id; ``stamp``: a fingerprint of everything else (compared by `search check`);
* ``title``, ``summary``, ``body`` (plain text of the sections): shown in results and highlights;
* ``all``: the searched text: title twice (its weight), summary, body and meta (themes, tags,
  organization, places, community type, year, sessions), joined by ``analysis.FIELD_SEP``
  (a phrase never spans two of them);
* ``published`` (a datetime): the sort key of "newest";
* facet values (:data:`FACETS`): ``theme``, ``session`` and ``award`` hold several values joined by commas
  (:data:`MULTI_VALUED`), the others one value or "";
* ``organization``: the organization's name, for display;
* ``terms``: the words of the case's own text (title twice, summary, body; not the meta) with
  how often each occurs, as :func:`own_terms` writes them, so that similar cases are picked from
  them without segmenting the case again on every page view (:func:`term_counts` reads them).
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy import select

from portal.search.analysis import FIELD_SEP, segment

#: Facets shown on the search page, in display order: field -> label.
FACETS = {
    "theme": "主题",
    "province": "省份",
    "year": "年份",
    "community_type": "社区类型",
    "org_type": "单位类型",
    "session": "分享会",
    "award": "获奖",
}
MULTI_VALUED = frozenset({"theme", "session", "award"})


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"(^|\n)\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+")
_MD_TABLE_RULE = re.compile(r"(^|\n)\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*(?=\n|$)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|_|`)")
_HTML = re.compile(r"<[^>]{0,200}>")


def _table_rows(text: str) -> str:
    """Each row of a Markdown table (the line above a |---| rule and those below it, up to the
    first line without a |) as its cells joined by " · " and ended by "；", so that a snippet
    reads "个案 · 不足 5 个 · 41 个；" rather than a run of numbers. Other lines as they are."""
    lines = text.split("\n")
    rule = [bool(_MD_TABLE_RULE.fullmatch(line.strip())) and "|" in line for line in lines]
    row = [False] * len(lines)
    for i, is_rule in enumerate(rule):
        if not is_rule:
            continue
        if i and "|" in lines[i - 1]:
            row[i - 1] = True
        j = i + 1
        while j < len(lines) and "|" in lines[j] and not rule[j]:
            row[j] = True
            j += 1
    out = []
    for line, is_rule, is_row in zip(lines, rule, row):
        if is_row:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = " · ".join(c for c in cells if c) + "；"
        if not is_rule:
            out.append(line)
    return "\n".join(out)


def plain_text(markdown_text: str) -> str:
    """Markdown to the plain text readers see, for indexing and snippets."""
    text = _HTML.sub("", markdown_text or "")
    text = _MD_LINK.sub(r"\1", text)
    if "|" in text:
        text = _table_rows(text)
    text = _MD_TABLE_RULE.sub("\n", text)
    text = _MD_MARK.sub(r"\1", text)
    text = _MD_EMPH.sub("", text)
    text = text.replace("|", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


def case_sessions(case) -> list[str]:
    """Titles of the sharing sessions whose running order presents the case, oldest first.
    (Objects that carry their own ``session_titles``, as the benchmark's do, use those.)"""
    titles = getattr(case, "session_titles", None)
    if titles is not None:
        return list(titles)
    from sqlalchemy.orm import object_session

    from portal.sessions.models import AgendaItem, SharingSession

    session = object_session(case)
    if session is None or case.id is None:
        return []
    rows = session.execute(
        select(SharingSession.id, SharingSession.title).join(AgendaItem, AgendaItem.session_id == SharingSession.id)
        .where(AgendaItem.case_id == case.id).order_by(SharingSession.starts_at, SharingSession.id)).all()
    return list(dict.fromkeys(title for _id, title in rows))


def case_awards(case) -> list[str]:
    """"<call> · <award level>" for each published award of the case (portal.calls), newest first.
    (Objects that carry their own ``award_titles``, as the benchmark's may, use those.)"""
    titles = getattr(case, "award_titles", None)
    if titles is not None:
        return list(titles)
    from sqlalchemy.orm import object_session

    from portal.calls.models import AwardLevel, CallEntry, CaseCall, EntryStatus

    if not hasattr(case, "_sa_instance_state"):
        return []  # a plain object standing in for a case (tests, benchmarks)
    session = object_session(case)
    if session is None or case.id is None:
        return []
    rows = session.execute(
        select(CaseCall.title, AwardLevel.name).join(CallEntry, CallEntry.call_id == CaseCall.id)
        .join(AwardLevel, AwardLevel.id == CallEntry.award_level_id)
        .where(CallEntry.case_id == case.id, CallEntry.status == EntryStatus.ENTERED,
               CaseCall.results_published_at.is_not(None))
        .order_by(CaseCall.results_published_at.desc(), CaseCall.id)).all()
    return [f"{title} · {level}" for title, level in rows]


def case_document(case) -> dict:
    from portal.cases.models import SECTIONS

    themes = [t.name.replace(",", "，") for t in case.themes]
    tags = [t.name for t in case.tags]
    sessions = [s.replace(",", "，") for s in case_sessions(case)]
    awards = [a.replace(",", "，") for a in case_awards(case)]
    body = "\n\n".join(plain_text(getattr(case, name)) for name in SECTIONS if getattr(case, name))
    year = str(case.year) if case.year else ""
    meta = " ".join(filter(None, [*themes, *tags, case.org.name, case.org.org_type, case.province, case.city,
                                  case.county, case.community, case.community_type, year, *sessions, *awards]))
    doc = {
        "id": str(case.id),
        "title": case.title,
        "summary": case.summary or "",
        "body": body,
        # Title twice: its weight in ranking (a title match outranks a body match).
        "all": FIELD_SEP.join([case.title, case.title, case.summary or "", body, meta]),
        "published": case.published_at or datetime(1970, 1, 1),
        "theme": ",".join(themes),
        "province": case.province or "",
        "year": year,
        "community_type": case.community_type or "",
        "org_type": case.org.org_type or "",
        "organization": case.org.name,
        "session": ",".join(sessions),
        "award": ",".join(awards),
        "terms": own_terms([case.title, case.title, case.summary or "", body]),
    }
    doc["stamp"] = fingerprint(doc)
    return doc


def own_terms(texts: list[str]) -> str:
    """``"word:count word:count …"`` over the search-mode words of ``texts`` (the segmentation
    the index uses), most frequent first. A string, so every backend can store it as it is."""
    counts: dict[str, int] = {}
    for text in texts:
        for term, _pos, _start, _end in segment(text, search=True):
            counts[term] = counts.get(term, 0) + 1
    return " ".join(f"{term}:{n}" for term, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                    if not any(ch.isspace() for ch in term))


def term_counts(terms: str | None) -> dict[str, int]:
    """{word: count} from a document's ``terms`` (empty for a document indexed without them)."""
    out = {}
    for item in (terms or "").split():
        term, _, n = item.rpartition(":")
        if term and n.isdigit():
            out[term] = int(n)
    return out


def fingerprint(doc: dict) -> str:
    """A digest of everything indexed for a case (`all` holds the meta text too)."""
    parts = [f"{k}={doc[k]}" for k in sorted(doc) if k != "stamp"]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
