"""Keep uploaded files and database rows together: a file written during a transaction is
removed if the transaction rolls back; a file deleted in a transaction disappears from disk
only once the commit succeeded."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import uploads

_NEW = "portal_new_files"
_DOOMED = "portal_doomed_files"


def upload_dir() -> str:
    return current_app.config["UPLOAD_DIR"]


def save(session: Session, checked: uploads.CheckedFile) -> str:
    """Store the file now; it is deleted again if this session rolls back."""
    directory = upload_dir()
    name = uploads.store(checked, directory)
    session.info.setdefault(_NEW, []).append((directory, name))
    return name


def delete_on_commit(session: Session, stored_name: str) -> None:
    session.info.setdefault(_DOOMED, []).append((upload_dir(), stored_name))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy 2.1 fires after_commit for it): the outer one decides
    session.info.pop(_NEW, None)
    for directory, name in session.info.pop(_DOOMED, []):
        uploads.remove(name, directory)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        return  # only a savepoint rolled back; the outer transaction decides
    for directory, name in session.info.pop(_NEW, []):
        uploads.remove(name, directory)
    session.info.pop(_DOOMED, None)
