"""A compilation job: one PDF for one selection of cases, in one state of those cases."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import at_least, one_of, utcnow


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CompilationJob(db.Model):
    __tablename__ = "compilation_jobs"
    __table_args__ = (one_of("status", JobStatus), at_least("done"), at_least("total"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the selection, the language and every case's last change: the cache key
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: what was asked for (kind:value), to find and remove older builds of the same selection
    selection: Mapped[str] = mapped_column(String(300), index=True)
    title: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str] = mapped_column(Text)  # JSON: case ids in order, subtitle, locale
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.PENDING, index=True)
    done: Mapped[int] = mapped_column(default=0)   # cases prepared so far
    total: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(300), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # the worker's heartbeat while running
    finished_at: Mapped[datetime | None]
