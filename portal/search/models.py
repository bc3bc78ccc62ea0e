from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, PrimaryKeyConstraint, String, Text, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from portal.extensions import db
from portal.models_base import utcnow


class SearchOutbox(db.Model):
    """A case whose index entry must be refreshed. Written in the same transaction as the
    change itself, so the database stays the source of truth and no change is lost."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20), default="case")
    entity_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TSVector(TypeDecorator):
    """PostgreSQL's ``tsvector``; plain text elsewhere (the table exists on SQLite, unused there:
    the PostgreSQL search backend refuses to start on SQLite)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TSVECTOR())
        return dialect.type_descriptor(Text())


class SearchDocument(db.Model):
    """A published case as the PostgreSQL search backend holds it (portal.search.postgres):
    written in the same transaction as the case. ``tsv``: the words of portal.search.analysis
    with their positions, weighted by field (title A; summary, themes and tags B; sections C;
    unit, places and the rest D); ``length``: the searched text's length in words as BM25 counts
    it; ``seq``: when the row was last written (ties). How often each word occurs is in
    :class:`SearchPosting`."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_tsv", "tsv", postgresql_using="gin",
                            postgresql_with={"fastupdate": "off"}),
                      # BM25's document count and average length, read by an index-only scan
                      # (50,000 cases: 4 ms, against 25-45 ms reading every row)
                      Index("ix_search_documents_length", "length"))

    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    stamp: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    published: Mapped[datetime]
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    organization: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(Text)  # comma-separated, as in the search document
    session: Mapped[str] = mapped_column(Text)  # comma-separated
    award: Mapped[str] = mapped_column(Text, default="", server_default="")  # comma-separated
    province: Mapped[str] = mapped_column(String(40))
    year: Mapped[str] = mapped_column(String(8))
    community_type: Mapped[str] = mapped_column(String(40))
    org_type: Mapped[str] = mapped_column(String(40))
    terms: Mapped[str] = mapped_column(Text)  # documents.own_terms (similar cases)
    length: Mapped[int]
    tsv: Mapped[str] = mapped_column(TSVector())


class SearchPosting(db.Model):
    """How often a word occurs in a case (the title's occurrences count twice): what BM25 reads.
    A row per word and case, read by word (the primary key) for the matched cases only; a
    tsvector would have to be read whole from TOAST storage for every matched case."""

    __tablename__ = "search_postings"
    # tf in the primary key's index: a word's rows are read from the index alone (the table
    # holds them in case order, one page apart: 29,000 pages for 29,000 rows at 10k cases).
    __table_args__ = (PrimaryKeyConstraint("term", "case_id", postgresql_include=["tf"]),)

    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, index=True)
    tf: Mapped[int]


class SearchTerm(db.Model):
    """Every word the PostgreSQL backend has indexed (never removed): the lexicon in which the
    short-word substring rule and spelling suggestions look words up, through a GIN index on
    each word's characters (PostgreSQL only: migration 0018)."""

    __tablename__ = "search_terms"
    __table_args__ = (Index("ix_search_terms_chars", text("string_to_array(term, NULL)"), postgresql_using="gin"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    term: Mapped[str] = mapped_column(String(200), unique=True)
