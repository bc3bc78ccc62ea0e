"""Where the Whoosh index lives, how it is opened and locked for writing.

Layout under SEARCH_INDEX_DIR::

    current -> index-20261128T160000   (symlink, swapped atomically by `search reindex`)
    index-20261128T160000/             (a Whoosh FileStorage; its lock is an fcntl lock)

Web workers only read. Writes happen in the outbox drainer (sync.py) or `search reindex`,
each holding the Whoosh writer lock of the current directory (see WhooshBackend).
"""
from __future__ import annotations

import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

from flask import current_app
from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC, FileIndex, LockError

from portal.search.whoosh.schema import build_schema

CURRENT = "current"


def base_dir() -> Path:
    return Path(current_app.config["SEARCH_INDEX_DIR"])


def current_dir(base: Path | None = None) -> Path:
    """The directory the ``current`` link points to, creating an empty index on first use."""
    base = base or base_dir()
    link = base / CURRENT
    # Every search asks (has a reindex swapped the folders?): read the link itself, two system
    # calls, rather than resolving the whole path (one per folder above it, 90 us a search).
    try:
        target = base / os.readlink(link)
    except FileNotFoundError:
        target = None
    except OSError:  # not a link (made by hand): whatever it is, it is the index
        return link.resolve()
    if target is None or not target.is_dir():
        base.mkdir(parents=True, exist_ok=True)
        swap_current(base, new_index_dir(base))
        target = base / os.readlink(link)
    return target


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
    storage = FileStorage(str(path or current_dir()), supports_mmap=False)
    for attempt in range(20):
        try:
            return storage.open_index(indexclass=_Index)
        except FileNotFoundError:
            # Whoosh lists the TOC files, then opens the newest: a writer in another process
            # that commits in between deletes that one (seen with four gunicorn workers
            # publishing at once). The next listing finds the new TOC.
            if attempt == 19:
                raise
            time.sleep(0.01)


def latest_generation(path: Path) -> int:
    """The generation of the index in ``path`` (each writer's commit adds one), from the names
    of its TOC files: no file is opened or read."""
    return TOC._latest_generation(FileStorage(str(path), supports_mmap=False), _DEF_INDEX_NAME)


def writer(ix, timeout: float = 10.0):
    """A writer holding the index lock; waits up to ``timeout`` seconds for other writers.

    Raises LockError when the lock stays busy (the caller retries later; nothing is lost,
    the outbox still holds the changes)."""
    return ix.writer(timeout=timeout, delay=0.05)


def discard(writer) -> None:
    """Cancel ``writer`` and remove the files its unfinished segment already holds. Whoosh's
    cancel() leaves them until some later commit cleans the folder, and every search lists the
    folder to see whether the index changed: idle outbox passes had left three files each, 440
    files (0.5 ms on every search) within an hour of browsing."""
    segment, storage = getattr(writer, "newsegment", None), getattr(writer, "storage", None)
    writer.cancel()
    if segment is None or storage is None:
        return
    for name in segment.list_files(storage):
        try:
            storage.delete_file(name)
        except OSError:  # already gone
            pass


# What a searching process reads from a segment once (its word list, its facet values) takes far
# longer to work out than to read back: it is saved beside the segment's own files and named
# like them (MAIN_<segment>.<name>), so that Whoosh deletes it with the segment when a merge or a
# rebuild retires the segment. Segments never change once written (a deletion is recorded
# elsewhere), so what was saved stays right for the segment's whole life.

def segment_file(reader, name: str) -> Path | None:
    """Where the file ``name`` of a segment reader's segment is kept; None for storage other
    than a folder."""
    folder = getattr(getattr(reader, "_storage", None), "folder", None)
    segment = reader.segment() if hasattr(reader, "segment") else None
    if not folder or segment is None or not name.replace("_", "").isalnum():
        return None
    return Path(folder) / f"{segment.segment_id()}.{name}"


def read_beside(reader, name: str) -> bytes | None:
    path = segment_file(reader, name)
    try:
        return path.read_bytes() if path is not None else None
    except OSError:  # none saved yet (or retired with its segment meanwhile)
        return None


def write_beside(reader, name: str, data: bytes) -> None:
    """Save ``data`` as the segment's file ``name``: written aside and renamed into place, so
    that no process reads half of it. Best effort: a folder that cannot be written only means
    that each process works the data out itself."""
    path = segment_file(reader, name)
    if path is None:
        return
    tmp = None
    try:
        # A leading dot: Whoosh's clean-up leaves such names alone, and the rename follows.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


__all__ = ["LockError", "discard", "latest_generation", "open_index", "writer", "current_dir", "new_index_dir", "swap_current"]
