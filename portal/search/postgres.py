"""The PostgreSQL implementation of :class:`portal.search.backend.SearchBackend`
(``PORTAL_SEARCH_BACKEND=postgres``): the index is a table of the application's own database,
so every web host behind a load balancer searches the same index and no search server or index
folder has to be kept.

* **Words**: segmented in Python by :mod:`portal.search.analysis` (the same segmenter, dictionary
  and synonym files as the Whoosh backend) and stored as a ``tsvector`` literal: no text search
  configuration or extension of the server is used, so it runs on any managed PostgreSQL.
  Weights by field: title A; summary, themes and tags B; sections C; unit, places and the rest D.
* **Writing**: in the same transaction as the case (:meth:`PostgresBackend.write_in_transaction`,
  called by portal.search.sync before each commit): a committed change is searchable at once on
  every host, a rolled-back one never was. The search outbox is drained too (rows left by the
  Whoosh backend before a switch).
* **Matching**: the query plan of portal.search.planning as a ``tsquery`` (``&`` between query
  words, ``|`` between a word's variants, ``<->`` for phrases, ``!``-free: exclusions are a
  second ``@@``), over the GIN index. Short CJK words that are not dictionary words also match
  the longer indexed words containing them, found in the lexicon (``search_terms``) through a
  GIN index on each word's characters: no process holds a copy of it.
* **Ranking**: BM25 with the Whoosh backend's parameters (title counted twice, as in its ``all``
  field), computed in SQL from the matched rows' term frequencies; each query word scored as one
  with its variants (their frequencies added up, expansions weighted below the word as typed).
  Facet counts: ``GROUP BY`` over the
  matched rows, with the total, in one statement.
"""
from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import combinations
from time import monotonic, sleep

from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, insert, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.config import ConfigError
from portal.extensions import db
from portal.search import synonyms
from portal.search.analysis import FIELD_SEP, POSITION_GAP, segment
from portal.search.backend import ChangeSet, IndexBatch, IndexBusy, SearchBackend, SearchRequest
from portal.search.documents import FACETS, MULTI_VALUED, term_counts
from portal.search.highlights import highlight_terms
from portal.search.models import SearchDocument, SearchPosting
from portal.search.parsing import _CJK
from portal.search.planning import (
    BM25_B,
    BM25_K1,
    Plan,
    Variant,
    close_enough,
    group_idf,
    partial_units,
    plan,
    strongest,
    variants,
)
from portal.search.results import (
    FEEDBACK_DOCS,
    RELATED_SHARE,
    RERANK_DEPTH,
    Hit,
    SearchResult,
    document_hit,
    feedback_candidates,
    feedback_terms,
    ordered_facets,
    related_wanted,
    rerank,
    wants_partial,
)

#: term-frequency weight of a position by its field weight: the title counts twice (as in the
#: Whoosh backend's ``all`` field, which holds it twice)
TF_WEIGHT = {"A": 2, "B": 1, "C": 1, "D": 1}
MAX_POSITION = 16383  # PostgreSQL's largest position
MAX_POSITIONS = 256  # positions PostgreSQL keeps per word and document
MAX_TERM = 200  # longer "words" (a run of digits or Latin letters) are not indexed
#: longer words a short CJK word may stand for (the substring rule); past it, the query is cut
SUBSTRING_LIMIT = 200
WHOLE_BONUS = 0.15  # as the Whoosh backend: a case holding a split query word whole
KEY_TERMS = 12  # similar cases: the case's most distinctive words
MAX_CORRECTIONS = 3
LOCK_KEY = 0x5EA4C4  # the advisory lock of batches and rebuilds
CACHE_SIZE = 256  # results kept per process, per index generation
RESULT_SECONDS = 60  # and for at most this long
STATS_DRIFT, STATS_SECONDS = 0.01, 600  # see PostgresBackend._stats

REBUILD_CHUNK = 1000  # a rebuild writes this many cases at a time
SEARCH_WORK_MEM = "32MB"  # for the statements of one search (see _index_first)
# The count passes the matched cases to the ranking (which then need not evaluate the query
# again) when at most this many; at most MATCHED_IDS_CHEAP when every query word is one indexed
# word, which the GIN index finds faster than the ranking can look up 50,000 ids.
MATCHED_IDS, MATCHED_IDS_CHEAP = 50_000, 5_000
GIN_INDEX = "ix_search_documents_tsv"

STORED = ("case_id", "title", "summary", "body", "theme", "province", "organization", "published", "year")


class PostgresSearchNeedsPostgres(ConfigError):
    """``SEARCH_BACKEND = "postgres"`` with another database: the app refuses to start."""


# Documents --------------------------------------------------------------------------------------

def _quote(term: str) -> str:
    """A word as a tsvector/tsquery lexeme: quoted, so no character of it is an operator."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _fields(doc: dict) -> list[tuple[str, str]]:
    """(text, weight) of a search document's parts. ``all`` holds title, title, summary, body and
    the meta text (themes, tags, unit, unit type, places, community type, year, sessions)."""
    title, _title, summary, body, meta = (doc.get("all", "").split(FIELD_SEP) + [""] * 5)[:5]
    themes = " ".join(t for t in doc.get("theme", "").split(",") if t)
    rest = meta[len(themes):] if themes and meta.startswith(themes) else meta
    unit = doc.get("organization", "")
    cut = rest.find(unit) if unit else -1
    tags, rest = (rest[:cut], rest[cut:]) if cut >= 0 else ("", rest)
    return [(title, "A"), (summary, "B"), (f"{themes} {tags}".strip(), "B"), (body, "C"), (rest.strip(), "D")]


def tsvector_of(doc: dict) -> tuple[str, int, dict[str, int]]:
    """(tsvector literal, length as BM25 counts it, {word: occurrences as BM25 counts them}) of a
    search document. Positions follow portal.search.analysis (parts of a long word share its
    position), with a gap between fields so that no phrase spans two of them."""
    entries: dict[str, list[str]] = {}
    tf: dict[str, int] = {}
    length, base = 0, 0
    for text_, weight in _fields(doc):
        last = base
        for term, pos, _start, _end in segment(text_, search=True):
            if len(term) > MAX_TERM:
                continue
            position = min(base + pos + 1, MAX_POSITION)
            found = entries.setdefault(term, [])
            if len(found) < MAX_POSITIONS:
                found.append(f"{position}{weight}")
            length += TF_WEIGHT[weight]
            tf[term] = tf.get(term, 0) + TF_WEIGHT[weight]
            last = max(last, position)
        base = last + POSITION_GAP
    literal = " ".join(f"{_quote(term)}:{','.join(dict.fromkeys(ps))}" for term, ps in entries.items())
    return literal, length, tf


def _row(doc: dict) -> tuple[dict, dict[str, int]]:
    """The search_documents row of a document, and its word counts (search_postings)."""
    tsv, length, tf = tsvector_of(doc)
    row = {name: doc.get(name) or "" for name in ("stamp", "title", "summary", "body", "organization", "theme",
                                                   "session", "award", "province", "year", "community_type",
                                                   "org_type", "terms")}
    row.update(case_id=int(doc["id"]), published=doc["published"], length=length, tsv=tsv)
    return row, tf


_UPSERT = pg_insert(SearchDocument).values(seq=func.nextval("search_seq"))


def _upsert(conn: Connection, rows: list[dict], *, older_than: int | None = None) -> list[int]:
    """Insert or replace rows; the ids written. With ``older_than`` (a rebuild), a row is
    replaced only when it was written before that seq (a rebuild never overwrites what a
    transaction wrote while it ran) and differs from the new one (an unchanged row is left
    alone: no new row version, no new index entries)."""
    columns = {c: getattr(_UPSERT.excluded, c) for c in rows[0] if c != "case_id"}
    columns["seq"] = _UPSERT.excluded.seq
    where = None
    if older_than is not None:
        changed = or_(*(getattr(SearchDocument, c).is_distinct_from(getattr(_UPSERT.excluded, c))
                        for c in rows[0] if c != "case_id"))
        where = and_(SearchDocument.seq < older_than, changed)
    statement = _UPSERT.on_conflict_do_update(index_elements=["case_id"], set_=columns, where=where)
    return list(conn.execute(statement.returning(SearchDocument.case_id), rows).scalars())


def _segmented(documents: Iterable[dict], workers: int) -> Iterator[tuple[dict, dict[str, int]]]:
    """_row() of each document, in order; segmenting (most of a rebuild's time) in ``workers``
    processes when more than one (forked: the dictionary is already loaded)."""
    if workers <= 1:
        yield from map(_row, documents)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_row, documents, chunksize=50)


def _postings(conn: Connection, counts: dict[int, dict[str, int]]) -> None:
    """Replace the word counts of these cases (after their documents' rows, whose locks order
    concurrent writers)."""
    if not counts:
        return
    conn.execute(delete(SearchPosting).where(SearchPosting.case_id.in_(sorted(counts))))
    rows = [{"term": t, "case_id": c, "tf": n} for c, tf in sorted(counts.items()) for t, n in tf.items()]
    if rows:
        conn.execute(insert(SearchPosting), rows)


def _merge_postings(conn: Connection, counts: dict[int, dict[str, int]]) -> None:
    """A rebuild's _postings(). Cases with no word counts yet get theirs by COPY. Otherwise the
    new counts go to a temporary table and only the rows that differ are deleted and inserted:
    after a change of dictionary most of a case's words stay as they were, and deleting and
    writing all 4 million rows of 10k cases again took twice as long as writing them into an
    empty table."""
    if not counts:
        return
    ids = sorted(counts)
    rows = sorted((term, case_id, n) for case_id, tf in counts.items() for term, n in tf.items())
    held = conn.execute(text("SELECT EXISTS (SELECT 1 FROM search_postings WHERE case_id = ANY(:ids))"),
                        {"ids": ids}).scalar()
    if held:
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS rebuild_postings "
                             "(term varchar(200), case_id integer, tf integer) ON COMMIT DROP")
        conn.exec_driver_sql("TRUNCATE rebuild_postings")
    with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(
            f"COPY {'rebuild_postings' if held else 'search_postings'} (term, case_id, tf) FROM STDIN") as out:
        for row in rows:  # in index order: the primary key's pages are filled one after another
            out.write_row(row)
    if not held:
        return
    conn.exec_driver_sql("ANALYZE rebuild_postings")
    conn.execute(text(
        "DELETE FROM search_postings p WHERE p.case_id = ANY(:ids) AND NOT EXISTS ("
        "SELECT 1 FROM rebuild_postings r WHERE r.term = p.term AND r.case_id = p.case_id AND r.tf = p.tf)"),
        {"ids": ids})
    conn.execute(text(
        "INSERT INTO search_postings (term, case_id, tf) SELECT r.term, r.case_id, r.tf FROM rebuild_postings r "
        "WHERE NOT EXISTS (SELECT 1 FROM search_postings p WHERE p.case_id = ANY(:ids) "
        "AND p.term = r.term AND p.case_id = r.case_id) ORDER BY r.term, r.case_id"), {"ids": ids})


@contextmanager
def _gin_pending_list() -> Iterator[None]:
    """The tsvector index with its pending list on, for a rebuild: new entries are gathered and
    merged in bulk (a rebuild of 10k cases wrote its documents in 9 s instead of 27 s). Off
    again afterwards, so searches never scan a long pending list. Switching takes the index's
    exclusive lock for a moment; when searches hold it longer, the rebuild goes on without."""
    def switch(on: bool) -> bool:
        try:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '1s'")
                conn.exec_driver_sql(f"ALTER INDEX {GIN_INDEX} SET (fastupdate = {'on' if on else 'off'})")
            return True
        except OperationalError:
            return False

    switched = switch(True)
    try:
        yield
    finally:
        if switched and switch(False):
            # What concurrent writers added to the pending list since the rebuild's own merge.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"SELECT gin_clean_pending_list('{GIN_INDEX}')")


def _remember_terms(conn: Connection, words: set[str]) -> None:
    """Add the words the lexicon lacks. Sorted: concurrent writers take the new rows' locks in one
    order. Known words are left out before the insert, so that they use no id of the sequence."""
    if words:
        conn.execute(text(
            "INSERT INTO search_terms (term) SELECT w FROM unnest(CAST(:words AS text[])) AS w "
            "WHERE NOT EXISTS (SELECT 1 FROM search_terms t WHERE t.term = w) ORDER BY w "
            "ON CONFLICT (term) DO NOTHING"), {"words": sorted(words)})


def _containing(conn: Connection, part: str, limit: int) -> list[str]:
    """The lexicon's words that contain ``part`` and are longer, shortest first, at most
    ``limit``: from the GIN index on each word's characters (ix_search_terms_chars), 2 ms at
    184,000 words where reading the whole lexicon into the process took 300 ms."""
    return conn.execute(text(
        "SELECT term FROM search_terms WHERE string_to_array(term, NULL) @> CAST(:chars AS text[]) "
        "AND strpos(term, :part) > 0 AND term <> :part ORDER BY char_length(term), term COLLATE \"C\" "
        "LIMIT :limit"), {"chars": sorted(set(part)), "part": part, "limit": limit}).scalars().all()


def _near(conn: Connection, word: str) -> list[str]:
    """The lexicon's words that could be a spelling of ``word`` (see planning.close_enough: one
    character more, less or different): those holding all but one of its characters."""
    chars = sorted(set(word))
    need = max(1, len(word) - 1)
    if len(chars) < need:
        return []
    params = {"lo": max(2, len(word) - 1), "hi": len(word) + 1}
    held = []
    for i, subset in enumerate(combinations(chars, need)):
        params[f"s{i}"] = list(subset)
        held.append(f"string_to_array(term, NULL) @> CAST(:s{i} AS text[])")
    return conn.execute(text(f"SELECT term FROM search_terms WHERE ({' OR '.join(held)}) "
                             "AND char_length(term) BETWEEN :lo AND :hi"), params).scalars().all()


# Batches ----------------------------------------------------------------------------------------

def _lock(conn: Connection, timeout: float) -> None:
    """The backend's advisory lock for this transaction, waiting up to ``timeout`` seconds."""
    deadline = monotonic() + timeout
    while not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}).scalar():
        if monotonic() >= deadline:
            raise IndexBusy(f"search table busy (advisory lock held for more than {timeout:g} s)")
        sleep(0.05)


# The backend ------------------------------------------------------------------------------------

class PostgresBackend(SearchBackend):
    name = "postgres"
    transactional = True

    def __init__(self, app: Flask):
        super().__init__(app)
        if not str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
            raise PostgresSearchNeedsPostgres(
                "搜索后端 postgres 需要 PostgreSQL 数据库（PORTAL_DATABASE_URL=postgresql://…）。"
                " SEARCH_BACKEND=postgres needs a PostgreSQL database: set PORTAL_DATABASE_URL, or use the whoosh backend.")
        self.stats: dict = {}  # generation -> (documents, average length, {word: documents holding it})
        self.results: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    # Writing -------------------------------------------------------------------------------

    def write_in_transaction(self, session: Session, case_ids: set[int]) -> None:
        """Bring the rows of these cases up to date inside ``session``'s transaction (before its
        commit): published cases are written, the others removed."""
        from portal.search.sync import current_documents

        conn = session.connection()
        # Read back what this transaction wrote, through a session of its own (as the outbox
        # drain reads): collections in their stored order, not as this session last touched them.
        with Session(bind=conn) as reader:
            documents, gone = current_documents(reader, case_ids)
        self._apply(conn, documents, gone)
        session.info["portal_search_written"] = True  # portal.search.sync calls bump() after the commit

    def bump(self) -> None:
        """Advance the generation: after a commit, never before (a search that ran in between
        would cache what it saw under the new generation)."""
        with db.engine.connect() as conn:
            conn.execute(select(func.nextval("search_generation")))
            conn.commit()

    def _apply(self, conn: Connection, documents: list[dict], gone: Iterable[int]) -> None:
        gone = sorted(gone)
        if gone:
            conn.execute(delete(SearchDocument).where(SearchDocument.case_id.in_(gone)))
            conn.execute(delete(SearchPosting).where(SearchPosting.case_id.in_(gone)))
        if documents:
            rows, counts = [], {}
            for doc in sorted(documents, key=lambda d: int(d["id"])):  # one lock order for every writer
                row, counts[int(doc["id"])] = _row(doc)
                rows.append(row)
            _upsert(conn, rows)
            _postings(conn, counts)
            _remember_terms(conn, set().union(*counts.values()))

    @contextmanager
    def batch(self, timeout: float = 10.0) -> Iterator[IndexBatch]:
        with db.engine.begin() as conn:
            _lock(conn, timeout)
            batch = ChangeSet()
            yield batch
            if batch.changes:
                docs = [d for d in batch.changes.values() if d is not None]
                self._apply(conn, docs, (int(i) for i, d in batch.changes.items() if d is None))
        if batch.changes:
            self.bump()

    def rebuild(self, documents: Iterable[dict], *, workers: int = 2) -> int:
        """One transaction: searches read the old rows until it commits. Rows that another
        transaction wrote after the rebuild began are kept (they are newer); rows and word
        counts that come out the same are left as they are."""
        done, seen = 0, []
        with _gin_pending_list():
            with db.engine.begin() as conn:
                _lock(conn, 60)
                conn.exec_driver_sql("SET LOCAL work_mem = '128MB'")  # the merge's hash of new counts
                # The tables grow within this transaction, unknown to the planner, which would
                # scan search_postings whole to find a chunk's cases (50k cases: 997 s in all).
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                start = conn.execute(select(func.nextval("search_seq"))).scalar()
                chunk, counts, words = [], {}, set()

                def write() -> None:
                    # Rows written anew: the others are unchanged (same words, same counts) or
                    # newer (written by a transaction meanwhile).
                    written = set(_upsert(conn, chunk, older_than=start))
                    _merge_postings(conn, {i: tf for i, tf in counts.items() if i in written})
                    chunk.clear()
                    counts.clear()

                for row, tf in _segmented(documents, workers):
                    counts[row["case_id"]] = tf
                    chunk.append(row)
                    seen.append(row["case_id"])
                    words.update(tf)
                    done += 1
                    if len(chunk) >= REBUILD_CHUNK:
                        write()
                if chunk:
                    write()
                stale = conn.execute(text(  # an array, not one parameter per case (at most 65,535)
                    "DELETE FROM search_documents WHERE seq < :start AND NOT case_id = ANY(:seen) "
                    "RETURNING case_id"), {"start": start, "seen": seen}).scalars().all()
                if stale:
                    conn.execute(delete(SearchPosting).where(SearchPosting.case_id.in_(stale)))
                _remember_terms(conn, words)
                conn.exec_driver_sql(f"SELECT gin_clean_pending_list('{GIN_INDEX}')")
        # The planner's figures for the new rows, and the visibility map (index-only counts).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE search_documents, search_postings")
        self.bump()
        return done

    # Reading -------------------------------------------------------------------------------

    def generation(self):
        row = db.session.execute(text("SELECT last_value, is_called FROM search_generation")).one()
        return ("postgres", row[0] if row[1] else 0)

    def indexed_stamps(self) -> dict[str, str | None]:
        return {str(i): s for i, s in db.session.execute(select(SearchDocument.case_id, SearchDocument.stamp))}

    def _stats(self, conn: Connection, generation, words: Iterable[str]) -> tuple[int, float, dict[str, int]]:
        """(documents, average length, {word: documents holding it}). The counts are exact for
        the generation they were read at and kept while the index grows or shrinks by less than
        STATS_DRIFT and for at most STATS_SECONDS: BM25 barely moves with a few more documents,
        and counting a common word's documents is most of a query's cost."""
        with self.lock:
            entry = self.stats.get(generation)
        if entry is None:
            n, avg = conn.execute(select(func.count(), func.avg(SearchDocument.length))).one()
            n, avg = n or 0, float(avg or 1.0)
            with self.lock:
                old = next(iter(self.stats.values()), None)
                keep = old is not None and monotonic() - old[3] < STATS_SECONDS \
                    and abs(n - old[0]) <= STATS_DRIFT * old[0]
                # (Counts of 0 are not kept: a word first indexed since then would score nothing.)
                entry = (n, avg, {w: c for w, c in old[2].items() if c} if keep else {}, old[3] if keep else monotonic())
                self.stats = {generation: entry}  # older generations are of no use any more
        wanted = sorted(set(words) - entry[2].keys())
        if wanted:
            counts = dict(conn.execute(select(SearchPosting.term, func.count())
                                       .where(SearchPosting.term.in_(wanted)).group_by(SearchPosting.term)).all())
            entry[2].update({w: counts.get(w, 0) for w in wanted})
        return entry[:3]

    def search(self, request: SearchRequest) -> SearchResult:
        conn = db.session.connection()
        generation = self.generation()
        key = (generation, synonyms.version(), str(get_locale()), request.q, tuple(sorted(request.filters.items())),
               request.sort, request.page, request.per_page)
        with self.lock:
            cached = self.results.get(key)
            # A maximum age as well: a process that died between a commit and its bump() would
            # otherwise leave this generation's results in place until the next write.
            if cached is not None and monotonic() - cached[0] < RESULT_SECONDS:
                self.results.move_to_end(key)
                return cached[1]
        with _index_first(conn):
            result = _Search(self, conn, generation, request).run()
        with self.lock:
            self.results[key] = (monotonic(), result)
            while len(self.results) > CACHE_SIZE:
                self.results.popitem(last=False)
        return result

    def similar(self, case_id: int, limit: int = 5) -> list[Hit]:
        conn = db.session.connection()
        row = conn.execute(select(SearchDocument.terms, SearchDocument.theme)
                           .where(SearchDocument.case_id == case_id)).first()
        if row is None:
            return []
        own = {t: n for t, n in term_counts(row.terms).items() if len(t) > 1}
        themes = [t for t in row.theme.split(",") if t]
        if not own and not themes:
            return []
        candidates = sorted(own, key=lambda t: (-own[t], t))[:KEY_TERMS * 3]
        with _index_first(conn):
            return self._similar(conn, case_id, limit, own, themes, candidates)

    def _similar(self, conn, case_id, limit, own, themes, candidates) -> list[Hit]:
        n, _avg, df = self._stats(conn, self.generation(), candidates)
        keys = sorted(candidates, key=lambda t: (-own[t] * _idf(n, df.get(t, 0)), t))[:KEY_TERMS]
        weights = [own[t] * _idf(n, df.get(t, 0)) for t in keys]
        query = " | ".join(_quote(t) for t in keys) or None
        found = conn.execute(text(
            f"SELECT {', '.join('d.' + c for c in STORED)}, "
            "  coalesce((SELECT sum(w) FROM unnest(CAST(:q AS text[]), CAST(:w AS float8[])) AS k(q, w)"
            "            WHERE d.tsv @@ CAST(k.q AS tsquery)), 0)"
            "  + (SELECT count(*) FROM unnest(string_to_array(d.theme, ',')) AS t(v) WHERE t.v = ANY(:themes)) AS score "
            "FROM search_documents d "
            "WHERE d.case_id <> :id AND ("
            + ("d.tsv @@ CAST(:any AS tsquery) OR " if query else "")
            + "string_to_array(d.theme, ',') && CAST(:themes AS text[])) "
            "ORDER BY score DESC, d.seq LIMIT :limit"),
            {"q": [_quote(t) for t in keys], "w": weights, "themes": themes, "id": case_id, "any": query,
             "limit": limit}).mappings().all()
        return [document_hit(_stored(r), []) for r in found]

    # This process --------------------------------------------------------------------------

    def warm(self) -> None:
        """The document count and average length a first search needs."""
        self._stats(db.session.connection(), self.generation(), ())

    def forget_results(self) -> None:
        with self.lock:
            self.results.clear()

    def reset_for_tests(self) -> None:
        with self.lock:
            self.results.clear()
            self.stats.clear()


@contextmanager
def _index_first(conn: Connection) -> Iterator[None]:
    """The planner takes ``@@`` on a row for cheap and scans the table for common words; but
    each row's tsvector is read from TOAST storage first, and the GIN index answers the same in
    a tenth of the time (5.5 ms against 0.5 ms for a word in a third of 1,152 stories). For the
    statements of one search only. JIT is off with it: a plan the setting makes look expensive
    would otherwise be compiled first (160 ms for a count that takes 1.5 ms)."""
    # work_mem raised to SEARCH_WORK_MEM (never lowered): a broad query's facet counts and
    # ranking over 50,000 cases otherwise sort and materialise through temporary files (the
    # default 4 MB).
    seqscan, jit, work_mem = conn.execute(text(
        "SELECT current_setting('enable_seqscan'), current_setting('jit'), current_setting('work_mem'), "
        "set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true), "
        "set_config('work_mem', CASE WHEN pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(:wm) "
        "  THEN :wm ELSE current_setting('work_mem') END, true)"), {"wm": SEARCH_WORK_MEM}).one()[:3]
    try:
        yield
    finally:
        conn.execute(text("SELECT set_config('enable_seqscan', :s, true), set_config('jit', :j, true), "
                          "set_config('work_mem', :wm, true)"), {"s": seqscan, "j": jit, "wm": work_mem})


def _idf(n: int, df: int) -> float:
    """Whoosh's idf (its BM25F scorer's): log(N / (df + 1)) + 1."""
    return math.log(n / (df + 1)) + 1 if n else 1.0


def _stored(row) -> dict:
    stored = dict(row)
    stored["id"] = str(stored.pop("case_id"))
    return stored


class _Search:
    """One search: the plan as tsquery text, the SQL around it, the result."""

    def __init__(self, backend: PostgresBackend, conn: Connection, generation, request: SearchRequest):
        self.backend, self.conn, self.generation, self.request = backend, conn, generation, request
        self.notes = list(request.notes)
        self.plan: Plan = plan(request.parsed, request.filters)
        self.params: dict = {}
        self.cut: list[str] = []  # short words whose longer words were too many to all be matched
        self.matched: list[int] | None = None  # the strict results' ids, when the count handed them over
        self.longer: dict[str, list[str]] = {}  # the substring rule's words, per short word

    # The query as SQL ------------------------------------------------------------------------

    def variant(self, v: Variant) -> str:
        quoted = [_quote(t) for t in v.terms]
        parts = [quoted[0] if len(quoted) == 1 else f"({(' <-> ' if v.phrase else ' & ').join(quoted)})"]
        parts += [_quote(w) for w in self.longer_words(v)]
        return " | ".join(parts)

    def longer_words(self, v: Variant) -> list[str]:
        """The indexed words a short CJK word stands for (the substring rule), at most
        SUBSTRING_LIMIT (the shortest; the result then says so)."""
        if not v.substring:
            return []
        if v.substring not in self.longer:
            longer = _containing(self.conn, v.substring, SUBSTRING_LIMIT + 1)
            if len(longer) > SUBSTRING_LIMIT:
                self.cut.append(v.substring)
            self.longer[v.substring] = longer[:SUBSTRING_LIMIT]
        return self.longer[v.substring]

    def single_terms(self, group: list[Variant]) -> list[str] | None:
        """The words of a group whose every variant is one word (the substring rule's longer
        words included), or None: such a group is looked up in search_postings, without
        reading a tsvector."""
        if any(len(v.terms) != 1 for v in group):
            return None
        return list(dict.fromkeys([v.terms[0] for v in group] + [w for v in group for w in self.longer_words(v)]))

    def group(self, group: list[Variant]) -> str:
        return " | ".join(f"({self.variant(v)})" for v in group)

    def param(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def filters_sql(self) -> list[str]:
        out = []
        for name, value in self.plan.filters:
            if name in MULTI_VALUED:
                out.append(f"{self.param(value)} = ANY(string_to_array(d.{name}, ','))")
            else:
                out.append(f"d.{name} = {self.param(value)}")
        return out

    def where(self) -> str:
        conditions = self.filters_sql()
        if self.plan.groups:
            query = " & ".join(f"({self.group(g)})" for g in self.plan.groups)
            conditions.append(f"d.tsv @@ CAST({self.param(query)} AS tsquery)")
        if self.plan.excluded:
            words = self.single_terms(self.plan.excluded)
            if words is not None:  # no tsvector read for each matched case
                # NOT IN, not NOT EXISTS: one scan of the excluded words' rows, hashed (5,250 cases
                # at 10k: 240 ms probing the index per case).
                conditions.append("d.case_id NOT IN (SELECT x.case_id FROM search_postings x "
                                  f"WHERE x.term = ANY(CAST({self.param(words)} AS text[])))")
            else:
                excluded = " | ".join(f"({self.variant(v)})" for v in self.plan.excluded)
                conditions.append(f"NOT d.tsv @@ CAST({self.param(excluded)} AS tsquery)")
        return " AND ".join(conditions) or "TRUE"

    def scoring(self, matched: str, top: int | None = None) -> str:
        """SQL of (case_id, score, unscored, seq) for the rows of ``matched`` (a query of
        case_id, length, seq and, with split query words, tsv), ranked: BM25 of each query
        word with its variants as one word, summed; a split query word held whole earns
        WHOLE_BONUS. The substring rule's longer words score nothing (they follow).

        With ``top``, only the first ``top`` rows must be scored exactly: the whole-word check
        (a phrase, which reads each case's tsvector) is made only for the rows whose score could
        reach them with every bonus (老人吃饭难 at 10k: a few dozen tsvectors, not 5,851)."""
        groups = self.plan.groups or ()
        rows = [(g, i, v.weight, t, len(dict.fromkeys(v.terms))) for g, group in enumerate(groups)
                for i, v in enumerate(group) for t in dict.fromkeys(v.terms)]
        strength = [strongest(group) for group in groups]
        n, avg, df = self.backend._stats(self.conn, self.generation, {r[3] for r in rows})
        k1, b = BM25_K1, BM25_B
        self.params.update(qg=[r[0] for r in rows], qv=[r[1] for r in rows], qw=[r[2] / strength[r[0]] for r in rows],
                           qt=[r[3] for r in rows], qn=[r[4] for r in rows],
                           k1p1=k1 + 1, c1=k1 * (1 - b), c2=k1 * b / (avg or 1.0))
        phrases = [self.param(" <-> ".join(_quote(t) for t in c)) for c in self.plan.compounds]

        def whole(tsv: str) -> str:  # how many split query words a case holds whole
            return " + ".join(f"({tsv} @@ CAST({p} AS tsquery))::int" for p in phrases)

        head = (
            "WITH q(g, v, w, term, nt) AS (SELECT * FROM unnest(CAST(:qg AS int[]), CAST(:qv AS int[]), "
            "  CAST(:qw AS float8[]), CAST(:qt AS text[]), CAST(:qn AS int[]))), "
            f"m AS MATERIALIZED ({matched}), ")
        # Each query word scored as one with its variants (as the Whoosh backend, see
        # WhooshSegment.scores): its variants' frequencies, weighted, added up per case and
        # saturated once, times the word's idf (planning.group_idf); a FILTER sum per query word
        # in one aggregation per case. A variant of several words counts as often as its rarest
        # word occurs: only its rows are aggregated per case and variant first (with every row in
        # two aggregations, 居民 志愿者 at 50k cases took 540 ms instead of 340).
        freq = ("SELECT m.case_id, m.length, m.seq, q.g, q.w * sp.tf AS x "
                "FROM q JOIN search_postings sp ON sp.term = q.term JOIN m ON m.case_id = sp.case_id")
        if any(r[4] > 1 for r in rows):
            freq = (f"{freq} WHERE q.nt = 1 UNION ALL "
                    "SELECT m.case_id, m.length, m.seq, q.g, max(q.w) * min(sp.tf) "
                    "FROM q JOIN search_postings sp ON sp.term = q.term JOIN m ON m.case_id = sp.case_id "
                    "WHERE q.nt > 1 GROUP BY m.case_id, m.length, m.seq, q.g, q.v HAVING count(*) = max(q.nt)")
        parts = []
        for g, group in enumerate(groups):
            idf = group_idf([(w, _idf(n, df[t])) for gg, _v, w, t, _n in rows
                             if gg == g and all(df.get(x, 0) for x in group[_v].terms)])
            if idf:
                tf = f"coalesce(sum(f.x) FILTER (WHERE f.g = {g}), 0)" if len(groups) > 1 else "sum(f.x)"
                parts.append(f"{self.param(strength[g] * idf)} * {tf} * :k1p1 / ({tf} + :c1 + :c2 * f.length)")
        score = " + ".join(parts) or "CAST(0 AS float8)"
        if not phrases and not any(v.substring for group in groups for v in group):
            # Every matched case holds a query word's variant, so every one has a score: no
            # second pass over the matched cases to find the unscored ones.
            return head + (f"sc AS (SELECT f.case_id, f.seq, {score} AS s FROM ({freq}) f "
                           "      GROUP BY f.case_id, f.seq, f.length) "
                           "SELECT m.case_id, m.s AS score, false AS unscored, m.seq FROM sc m")
        head += f"sc AS (SELECT f.case_id, {score} AS s FROM ({freq}) f GROUP BY f.case_id, f.length)"
        if not phrases:
            return head + (" SELECT m.case_id, coalesce(sc.s, 0) AS score, sc.s IS NULL AS unscored, m.seq "
                           "FROM m LEFT JOIN sc ON sc.case_id = m.case_id")
        if top is None:
            return head + (f" SELECT m.case_id, coalesce(sc.s, 0) * (1 + {WHOLE_BONUS} * ({whole('m.tsv')})) "
                           "AS score, sc.s IS NULL AS unscored, m.seq FROM m LEFT JOIN sc ON sc.case_id = m.case_id")
        # The top-th score without bonuses: a row below it divided by the largest bonus cannot
        # reach the first `top` rows (at least `top` rows score that much), so it is not checked.
        self.params.update(top=top, most=1 + WHOLE_BONUS * len(self.plan.compounds))
        return head + (
            ", base AS MATERIALIZED (SELECT m.case_id, coalesce(sc.s, 0) AS s, sc.s IS NULL AS unscored, m.seq "
            "  FROM m LEFT JOIN sc ON sc.case_id = m.case_id), "
            "cut AS (SELECT s FROM base WHERE NOT unscored ORDER BY s DESC OFFSET :top - 1 LIMIT 1) "
            "SELECT m.case_id, m.s * (1 + CASE WHEN NOT m.unscored "
            "  AND m.s * :most >= coalesce((SELECT s FROM cut), 0) THEN "
            f"  {WHOLE_BONUS} * (SELECT {whole('d.tsv')} FROM search_documents d WHERE d.case_id = m.case_id) ELSE 0 END) "
            "AS score, m.unscored, m.seq FROM base m")

    def matched_columns(self, top: int | None = None) -> str:
        return "d.case_id, d.length, d.seq" + (", d.tsv" if self.plan.compounds and top is None else "")

    # Running it ----------------------------------------------------------------------------

    def run(self) -> SearchResult:
        request, parsed = self.request, self.request.parsed
        if parsed.groups and self.plan.groups == []:
            self.notes.append(_("查询只包含“的”“和”这类常用虚词，无法据此搜索，请换用更具体的词语。"))
            return self.result(0, [], {name: [] for name in FACETS})
        where = self.where()
        total, facets, self.matched = self.count(where)
        if self.matched is not None:  # the matched cases by id from now on: the query is not evaluated again
            where = f"d.case_id = ANY(CAST({self.param(self.matched)} AS int[]))"
        terms = highlight_terms(parsed)
        offset = (request.page - 1) * request.per_page
        hits: list[Hit] = []
        if offset < total:
            hits = [document_hit(r, terms) for r in self.page(where, offset, request.per_page)]
        partial: list[Hit] = []
        if self.plan.groups and wants_partial(parsed, total, request.page, request.per_page):
            partial = self.partial(where, terms)
        result = self.result(total, hits, facets, partial, terms)
        room = related_wanted(parsed, request.sort, total, request.page, request.per_page, len(hits) + len(partial))
        if room and self.plan.groups:
            result.related = self.related(where, {h.id for h in partial}, room, terms)
        if not total and not partial and request.page == 1 and parsed.groups:
            result.suggestions = self.corrections()
        return result

    def result(self, total, hits, facets, partial=(), terms=()) -> SearchResult:
        for word in dict.fromkeys(self.cut):
            self.notes.append(_("“%(word)s”出现在太多词语中，只按其中最短的 %(count)d 个匹配；请换用更完整的词语。",
                                word=word, count=SUBSTRING_LIMIT))
        return SearchResult(total=total, page=self.request.page, per_page=self.request.per_page, hits=hits,
                            facets=facets, notes=self.notes, terms=list(terms), partial=list(partial))

    def count(self, where: str) -> tuple[int, dict, list[int] | None]:
        """The total, every facet's counts over the matched rows and, when at most MATCHED_IDS,
        the matched cases (so that the ranking need not evaluate the query again): one statement."""
        # Every facet in one pass over the matched rows (grouping sets). A multi-valued facet is
        # grouped by its whole comma list (a few hundred distinct combinations of themes at 50k
        # cases), split here: not split row by row in SQL (at 50k cases 社区's count took 136 ms
        # that way).
        names = list(FACETS)
        which = " ".join(f"WHEN GROUPING(m.{name}) = 0 THEN '{name}'" for name in names[:-1])
        # (The ids in a subquery: an aggregate beside count(*) would be built even when unused.)
        parts = ["SELECT '' AS f, '' AS v, c.n, CASE WHEN c.n <= :idcap THEN (SELECT array_agg(case_id) FROM m) END "
                 "FROM (SELECT count(*) AS n FROM m) c",
                 f"SELECT CASE {which} ELSE '{names[-1]}' END, "
                 f"coalesce({', '.join(f'CAST(m.{n} AS text)' for n in names)}), count(*), NULL FROM m "
                 f"GROUP BY GROUPING SETS ({', '.join(f'(m.{n})' for n in names)})"]
        cheap = not any(v.phrase or v.substring for group in [*(self.plan.groups or ()), self.plan.excluded]
                        for v in group)  # (no position or substring checks to repeat)
        self.params["idcap"] = MATCHED_IDS_CHEAP if cheap else MATCHED_IDS
        rows = self.conn.execute(text(
            f"WITH m AS MATERIALIZED (SELECT d.case_id, {', '.join(f'd.{n}' for n in names)} "
            f"FROM search_documents d WHERE {where}) " + " UNION ALL ".join(parts)), self.params).all()
        counts: dict[str, Counter] = {name: Counter() for name in FACETS}
        total, ids = 0, None
        for facet, value, n, matched in rows:
            if not facet:
                total, ids = n, matched
            elif facet in MULTI_VALUED:
                for one in set((value or "").split(",")) - {""}:
                    counts[facet][one] += n
            elif value:
                counts[facet][value] = n
        return total, ordered_facets(counts), ids

    def page(self, where: str, offset: int, limit: int) -> list[dict]:
        self.params.update(limit=limit, offset=offset)
        columns = ", ".join(f"d.{c}" for c in STORED)
        if self.request.sort == "newest" or self.plan.groups is None:
            rows = self.conn.execute(text(
                f"SELECT {columns} FROM search_documents d WHERE {where} "
                "ORDER BY d.published DESC, d.seq LIMIT :limit OFFSET :offset"), self.params).mappings().all()
            return [_stored(r) for r in rows]
        top = offset + limit
        if offset < RERANK_DEPTH:  # the first RERANK_DEPTH are read and reordered (results.rerank)
            top = max(top, RERANK_DEPTH)
            self.params.update(limit=top, offset=0)
        ranked = self.scoring(f"SELECT {self.matched_columns(top)} FROM search_documents d WHERE {where}", top)
        rows = self.conn.execute(text(
            f"WITH r AS ({ranked} ORDER BY unscored, score DESC, m.seq LIMIT :limit OFFSET :offset) "
            f"SELECT {columns} FROM r JOIN search_documents d ON d.case_id = r.case_id "
            "ORDER BY r.unscored, r.score DESC, r.seq"), self.params).mappings().all()
        docs = [_stored(r) for r in rows]
        if offset < RERANK_DEPTH:
            docs = [docs[i] for i in rerank(docs, self.plan.groups)][offset:offset + limit]
        return docs

    def partial(self, where: str, terms: list[str]) -> list[Hit]:
        """As the Whoosh backend's partial matches (see SearchBackend.search): cases within the
        filters, not strict results, holding at least half the query's words (or the most any
        holds), a split word counting by the share of its parts held."""
        units = partial_units(self.plan)
        if not units:
            return []
        pieces = [(word, label, group) for word, parts in units.items() for label, group in parts]
        # The strict results (fewer than PARTIAL_BELOW) are left out by id.
        strict = self.strict_ids(where)
        self.params["strict"] = list(strict)
        words = [self.single_terms(g) for _w, _l, g in pieces]
        half = max(1, -(-len(units) // 2))
        # A case holding `half` of U words holds part of any U - half + 1 of them: only the holders
        # of the rarest are read (社区 猕猴桃 苗绣: the few holders of 猕猴桃 or 苗绣, not every case
        # holding 社区). When none of them holds half, every holder is read after all.
        rare = self.rarest(units, pieces, words, len(units) - half + 1) if half > 1 else None
        credit, missing = self.credit(units, pieces, self.holdings(pieces, words, rare))
        if rare is not None and max(credit.values(), default=0) < half - 1e-9:
            credit, missing = self.credit(units, pieces, self.holdings(pieces, words, None))
        best = max(credit.values(), default=0)
        if not best:
            return []
        need = min(best, half) - 1e-9
        chosen = [i for i, c in credit.items() if c >= need]
        self.params["chosen"] = chosen
        scored = self.conn.execute(text(self.scoring(
            f"SELECT {self.matched_columns()} FROM search_documents d WHERE d.case_id = ANY(:chosen)")),
            self.params).all()
        order = sorted(scored, key=lambda r: (-round(credit[r.case_id], 6), -r.score, r.seq))[:self.request.per_page]
        hits = self.hits([r.case_id for r in order], terms, self.plan.groups,
                         [-round(credit[r.case_id], 6) for r in order])  # (most words first still)
        for hit in hits:
            hit.missing = missing[hit.id]
        return hits

    def hits(self, ids: list[int], terms: list[str], groups=None, tiers=None) -> list[Hit]:
        """The hits of cases by id, in that order (with ``groups``: reranked, see results.rerank)."""
        stored = {r["case_id"]: _stored(r) for r in self.conn.execute(
            select(*(getattr(SearchDocument, c) for c in STORED)).where(SearchDocument.case_id.in_(ids))).mappings()}
        docs = [stored[i] for i in ids]
        return [document_hit(docs[i], terms) for i in rerank(docs, groups, tiers)]

    def strict_ids(self, where: str) -> list[int]:
        """The strict results' ids: those the count handed over, or the query evaluated again."""
        if self.matched is not None:
            return self.matched
        return self.conn.execute(text(f"SELECT d.case_id FROM search_documents d WHERE {where}"),
                                 self.params).scalars().all()

    def rarest(self, units, pieces, words, count: int) -> list[int]:
        """The pieces of the ``count`` query words held by the fewest cases (an upper bound: the
        sum over a word's parts and variants of their documents, a phrase counted by its rarest
        word)."""
        def variant_words(i):
            if words[i] is not None:
                return [[t] for t in words[i]]
            return [v.terms for v in pieces[i][2]] + [[w] for v in pieces[i][2] for w in self.longer_words(v)]

        every = {t for i in range(len(pieces)) for ts in variant_words(i) for t in ts}
        _n, _avg, df = self.backend._stats(self.conn, self.generation, every)
        holders = dict.fromkeys(units, 0)
        for i, (word, _label, _group) in enumerate(pieces):
            holders[word] += sum(min(df.get(t, 0) for t in ts) for ts in variant_words(i))
        chosen = set(sorted(units, key=lambda w: (holders[w], w))[:count])
        return [i for i, (word, _l, _g) in enumerate(pieces) if word in chosen]

    def holdings(self, pieces, words, scope: list[int] | None) -> list[tuple[int, list[bool]]]:
        """(case, which pieces it holds) for the cases within the filters, not strict results,
        that hold any piece (of ``scope``, when given)."""
        scope = list(range(len(pieces))) if scope is None else scope
        if all(w is not None for w in words):
            # Which pieces each case holds, from the word counts alone (no tsvector is read).
            self.params.update(pp=[i for i, ws in enumerate(words) for _t in ws], pt=[t for ws in words for t in ws],
                               scope=[t for i in scope for t in words[i]])
            rows = self.conn.execute(text(
                "WITH pt(piece, term) AS (SELECT * FROM unnest(CAST(:pp AS int[]), CAST(:pt AS text[]))), "
                "c AS (SELECT DISTINCT case_id FROM search_postings WHERE term = ANY(CAST(:scope AS text[]))), "
                "h AS (SELECT sp.case_id, array_agg(DISTINCT pt.piece) AS pieces "
                "      FROM c JOIN search_postings sp ON sp.case_id = c.case_id JOIN pt ON sp.term = pt.term "
                "      GROUP BY sp.case_id) "
                "SELECT h.case_id, h.pieces FROM h JOIN search_documents d ON d.case_id = h.case_id "
                "WHERE " + " AND ".join(self.filters_sql() + ["d.case_id <> ALL(CAST(:strict AS int[]))"])),
                self.params).all()
            return [(case_id, [i in set(found) for i in range(len(pieces))]) for case_id, found in rows]
        held_sql = ", ".join(f"d.tsv @@ CAST({self.param(self.group(g))} AS tsquery)" for _w, _l, g in pieces)
        any_query = " | ".join(f"({self.group(pieces[i][2])})" for i in scope)
        where = " AND ".join(self.filters_sql() + [f"d.tsv @@ CAST({self.param(any_query)} AS tsquery)"])
        return [(case_id, list(held)) for case_id, held in self.conn.execute(text(
            f"SELECT d.case_id, ARRAY[{held_sql}] AS held FROM search_documents d "
            f"WHERE {where} AND d.case_id <> ALL(CAST(:strict AS int[]))"), self.params).all()]

    @staticmethod
    def credit(units, pieces, rows) -> tuple[dict[int, float], dict[int, list[str]]]:
        """Per case: how many query words it holds (a split word by the share of its parts),
        and what it lacks, as the result names it."""
        sizes = {word: len(parts) for word, parts in units.items()}
        credit, missing = {}, {}
        for case_id, held in rows:
            got: dict[str, list[str]] = {}
            lacking: dict[str, list[str]] = {}
            for (word, label, _g), has in zip(pieces, held):
                (got if has else lacking).setdefault(word, []).append(label)
            credit[case_id] = sum(len(v) / sizes[w] for w, v in got.items())
            missing[case_id] = [item for word in units for item in
                                ([word] if len(lacking.get(word, ())) == sizes[word] else lacking.get(word, []))]
        return credit, missing

    def related(self, where: str, shown: set[int], limit: int, terms: list[str]) -> list[Hit]:
        """As the Whoosh backend: up to ``limit`` cases like the best strict results
        (results.feedback_terms), within the filters, neither strict results nor ``shown``."""
        ranked = self.scoring(f"SELECT {self.matched_columns(FEEDBACK_DOCS)} FROM search_documents d WHERE {where}",
                              FEEDBACK_DOCS)
        self.params["fb"] = FEEDBACK_DOCS
        top = self.conn.execute(text(
            f"WITH r AS ({ranked} ORDER BY unscored, score DESC, m.seq LIMIT :fb) "
            "SELECT d.case_id, d.terms FROM r JOIN search_documents d ON d.case_id = r.case_id "
            "ORDER BY r.unscored, r.score DESC, r.seq"), self.params).all()
        pooled = feedback_candidates([term_counts(t) for _i, t in top])
        n, _avg, df = self.backend._stats(self.conn, self.generation, pooled)
        expansion = feedback_terms(pooled, n, df)
        if not expansion:
            return []
        strict = self.strict_ids(where)
        conditions = self.filters_sql() + [
            "d.case_id IN (SELECT x.case_id FROM search_postings x WHERE x.term = ANY(CAST(:xterms AS text[])))",
            "d.case_id <> ALL(CAST(:xskip AS int[]))"]
        self.params.update(xterms=[t for t, _w in expansion], xskip=sorted(set(strict) | shown), xlimit=limit,
                           xtop=[i for i, _t in top])
        query = self.plan
        self.plan = Plan([[Variant([t], False, None, weight)] for t, weight in expansion], [], query.filters)
        try:
            own = self.conn.execute(text(self.scoring(
                "SELECT d.case_id, d.length, d.seq FROM search_documents d WHERE d.case_id = ANY(:xtop)")),
                self.params).all()
            # (A feedback result holding none of the words scores nothing and sets no floor, as on Whoosh.)
            self.params["xleast"] = RELATED_SHARE * min((r.score for r in own if not r.unscored), default=0.0)
            ranked = self.scoring(f"SELECT d.case_id, d.length, d.seq FROM search_documents d "
                                  f"WHERE {' AND '.join(conditions)}")
        finally:
            self.plan = query
        ids = self.conn.execute(text(f"SELECT z.case_id FROM ({ranked}) z WHERE z.score >= :xleast "
                                     "ORDER BY z.score DESC, z.seq LIMIT :xlimit"), self.params).scalars().all()
        return self.hits(ids, terms)

    def corrections(self) -> list[str]:
        """As the Whoosh backend: each query word no case holds, replaced by the indexed words
        closest to it (most characters in common, then the same length, then the most common)."""
        clauses = [c for group in self.request.parsed.groups for c in group]
        texts = [c.text for c in clauses]
        out: list[str] = []
        for i, clause in enumerate(clauses):
            word = clause.text.lower()
            if not _CJK.search(word) or not 2 <= len(word) <= 8:
                continue
            found = variants(clause)
            query = " | ".join(f"({self.variant(v)})" for v in found)
            if query and self.conn.execute(text("SELECT EXISTS (SELECT 1 FROM search_documents d "
                                                "WHERE d.tsv @@ CAST(:q AS tsquery))"), {"q": query}).scalar():
                continue  # this word is found; another one is the problem
            close = {w: close_enough(word, w) for w in _near(self.conn, word)}
            close = {w: shared for w, shared in close.items() if shared}
            _n, _avg, df = self.backend._stats(self.conn, self.generation, close)
            ranked = sorted(close, key=lambda w: (-close[w], abs(len(w) - len(word)), -df.get(w, 0), w))
            for candidate in ranked[:MAX_CORRECTIONS]:
                if df.get(candidate, 0):
                    out.append(" ".join(texts[:i] + [candidate] + texts[i + 1:]))
                if len(out) >= MAX_CORRECTIONS:
                    return out
        return out
