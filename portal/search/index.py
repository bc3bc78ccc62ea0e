"""Where the index lives, how it is opened, and how cases are written into it.

Layout under SEARCH_INDEX_DIR::

    current -> index-20261128T160000   (symlink, swapped atomically by `search reindex`)
    index-20261128T160000/             (a Whoosh FileStorage; its lock is an fcntl lock)

Web workers only read. Writes happen in the outbox drainer (sync.py) or `search reindex`,
each holding the Whoosh writer lock of the current directory.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, LockError

from portal.search.analysis import FIELD_SEP
from portal.search.schema import build_schema

CURRENT = "current"


def base_dir() -> Path:
    return Path(current_app.config["SEARCH_INDEX_DIR"])


def current_dir(base: Path | None = None) -> Path:
    """The directory the ``current`` link points to, creating an empty index on first use."""
    base = base or base_dir()
    link = base / CURRENT
    if not link.exists():
        base.mkdir(parents=True, exist_ok=True)
        target = new_index_dir(base)
        swap_current(base, target)
    return link.resolve()


def new_index_dir(base: Path) -> Path:
    """Create a fresh, empty index directory next to the current one."""
    name = f"index-{datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}-{time.monotonic_ns() % 100000}"
    path = base / name
    path.mkdir(parents=True)
    FileStorage(str(path)).create_index(build_schema())
    return path


def swap_current(base: Path, target: Path) -> None:
    """Point ``current`` at target atomically (readers see either the old or the new index)."""
    tmp = base / f".current-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(target.name, tmp)
    os.replace(tmp, base / CURRENT)


class _Index(FileIndex):
    """Segments are written as separate files, not assembled into one compound file (a
    default; a caller's own argument wins): Whoosh reads a compound file either through a
    Python sub-file wrapper (a seek and a read call per small read: slow) or, memory-mapped,
    by copying each part it opens into a BytesIO (the whole postings file: 150-300 ms per
    searcher at 10k cases, and a copy of the postings in every process). Plain files are read
    through ordinary buffered file objects."""

    def writer(self, procs=1, **kwargs):
        kwargs.setdefault("compound", False)
        return super().writer(procs=procs, **kwargs)


def open_index(path: Path | None = None):
    # No mmap: see _Index (an index written before keeps compound segments; it still opens fast
    # this way, its reads are just slower until the next `search reindex`).
    return FileStorage(str(path or current_dir()), supports_mmap=False).open_index(indexclass=_Index)


def writer(ix, timeout: float = 10.0):
    """A writer holding the index lock; waits up to ``timeout`` seconds for other writers.

    Raises LockError when the lock stays busy (the caller retries later; nothing is lost,
    the outbox still holds the changes)."""
    return ix.writer(timeout=timeout, delay=0.05)


__all__ = ["LockError", "open_index", "writer", "current_dir", "case_document", "fingerprint"]


# Documents ---------------------------------------------------------------------------------

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"(^|\n)\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+")
_MD_TABLE_RULE = re.compile(r"(^|\n)\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*(?=\n|$)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|_|`)")
_HTML = re.compile(r"<[^>]{0,200}>")


def plain_text(markdown_text: str) -> str:
    """Markdown to the plain text readers see, for indexing and snippets."""
    text = _HTML.sub("", markdown_text or "")
    text = _MD_LINK.sub(r"\1", text)
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


def case_document(case) -> dict:
    from portal.cases.models import SECTIONS

    themes = [t.name.replace(",", "，") for t in case.themes]
    tags = [t.name for t in case.tags]
    sessions = [s.replace(",", "，") for s in case_sessions(case)]
    body = "\n\n".join(plain_text(getattr(case, name)) for name in SECTIONS if getattr(case, name))
    year = str(case.year) if case.year else ""
    meta = " ".join(filter(None, [*themes, *tags, case.org.name, case.org.org_type, case.province, case.city,
                                  case.county, case.community, case.community_type, year, *sessions]))
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
    }
    doc["stamp"] = fingerprint(doc)
    return doc


def fingerprint(doc: dict) -> str:
    """A digest of everything indexed for a case (`all` holds the meta text too)."""
    parts = [f"{k}={doc[k]}" for k in sorted(doc) if k != "stamp"]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
