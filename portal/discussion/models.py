"""Discussion under a published case: comments, one level of replies, reports (举报)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import one_of, utcnow
from portal.rendering import html_column, stores_html


class CommentStatus(StrEnum):
    VISIBLE = "visible"
    HELD = "held"        # waiting for moderation (new account, many links)
    HIDDEN = "hidden"    # hidden by reports or by a moderator
    DELETED = "deleted"  # deleted by its author or a moderator; a stub stays when it has replies


@stores_html("body")
class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (one_of("status", CommentStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)  # Markdown source
    body_html: Mapped[str | None] = html_column()
    status: Mapped[str] = mapped_column(String(10), default=CommentStatus.VISIBLE, index=True)
    moderation_note: Mapped[str] = mapped_column(String(300), default="")  # reason of the last moderator action
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # A reply the case's unit (or a platform admin) marked as 有帮助的回答; any number per thread.
    helpful_at: Mapped[datetime | None]
    helpful_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    parent: Mapped[Comment | None] = relationship(remote_side=[id], back_populates="replies")
    replies: Mapped[list[Comment]] = relationship(back_populates="parent", order_by="Comment.id")
    reports: Mapped[list[CommentReport]] = relationship(back_populates="comment", cascade="all, delete-orphan",
                                                        order_by="CommentReport.id")


class CommentReport(db.Model):
    __tablename__ = "comment_reports"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),
                      one_of("decision", ["", "hide", "restore", "delete"]))

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    decision: Mapped[str] = mapped_column(String(10), default="")  # hide / restore / delete once resolved

    comment: Mapped[Comment] = relationship(back_populates="reports")
    reporter: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        """Not yet resolved by a moderator's decision."""
        return self.resolved_at is None
