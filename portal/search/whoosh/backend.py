"""The Whoosh implementation of :class:`portal.search.backend.SearchBackend`."""
from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from portal.search.backend import IndexBatch, IndexBusy, SearchBackend, SearchRequest
from portal.search.results import Hit, SearchResult
from portal.search.whoosh import index as search_index
from portal.search.whoosh import results, searchers
from portal.search.whoosh import similar as similar_cases
from portal.search.whoosh.schema import build_schema


class _Batch(IndexBatch):
    def __init__(self, writer):
        self.writer = writer
        self.changed = False
        self.fields = frozenset(writer.schema.names())

    def put(self, document: dict) -> None:
        # An index built by an older version lacks newer fields (e.g. terms): write what it has,
        # so the outbox keeps draining into it until `search reindex` rebuilds it.
        self.writer.update_document(**{k: v for k, v in document.items() if k in self.fields})
        self.changed = True

    def delete(self, doc_id: str) -> None:
        self.writer.delete_by_term("id", str(doc_id))
        self.changed = True


def _writer(ix, timeout: float):
    try:
        return search_index.writer(ix, timeout=timeout)
    except search_index.LockError as exc:
        raise IndexBusy(f"search index busy (writer lock held for more than {timeout:g} s)") from exc


class WhooshBackend(SearchBackend):
    """An index in SEARCH_INDEX_DIR on local disk (layout: whoosh/index.py). Writers take the
    index's writer lock (an fcntl lock, so every process of the machine waits for it); each
    process reads through its own searcher (whoosh/searchers.py), refreshed when the index
    changes, and keeps a cache of recent results keyed by the index generation."""

    name = "whoosh"

    @contextmanager
    def batch(self, timeout: float = 10.0) -> Iterator[IndexBatch]:
        while True:
            path = search_index.current_dir()
            writer = _writer(search_index.open_index(path), timeout)
            if search_index.current_dir() == path:
                break
            search_index.discard(writer)  # a reindex swapped directories while we waited
        batch = _Batch(writer)
        try:
            yield batch
            if batch.changed:
                writer.commit()
            else:
                search_index.discard(writer)
        except BaseException:
            if not writer.is_closed:
                search_index.discard(writer)
            raise

    def rebuild(self, documents: Iterable[dict], *, workers: int = 2) -> int:
        """Builds a fresh directory next to the current one and swaps the ``current`` link
        atomically; the old directory is then removed."""
        base = search_index.base_dir()
        old_path = search_index.current_dir()
        old_ix = search_index.open_index(old_path)
        # Hold the old index's lock so the outbox is not drained into an index about to be replaced.
        hold = _writer(old_ix, timeout=60)
        try:
            target = search_index.new_index_dir(base)
            ix = search_index.open_index(target)
            kwargs = {"procs": workers, "multisegment": True, "limitmb": 128} if workers > 1 else {}
            writer = ix.writer(**kwargs)
            done = 0
            try:
                for document in documents:
                    writer.add_document(**document)
                    done += 1
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            search_index.swap_current(base, target)
        finally:
            hold.cancel()
        shutil.rmtree(old_path, ignore_errors=True)
        if old_path.exists():  # a late lock-file release can leave the emptied folder behind
            shutil.rmtree(old_path, ignore_errors=True)
        return done

    def search(self, request: SearchRequest) -> SearchResult:
        return results.search(request)

    def similar(self, case_id: int, limit: int = 5) -> list[Hit]:
        return similar_cases.similar(case_id, limit)

    def generation(self):
        # The index directory (swapped by a rebuild) and its TOC generation (bumped by every
        # writer's commit, in any process): a directory listing, no index opened.
        path = search_index.current_dir()
        return str(path), search_index.latest_generation(path)

    def indexed_stamps(self) -> dict[str, str | None]:
        with search_index.open_index().searcher() as searcher:
            # An index built before a field was added (e.g. terms) answers, but `search check`
            # lists all its cases as stale, so that operators run `search reindex`.
            outdated = not set(build_schema().names()) <= set(searcher.schema.names())
            return {f["id"]: None if outdated else f.get("stamp") for f in searcher.all_stored_fields()}

    def warm(self) -> None:
        searchers.warm()

    def release(self) -> None:
        searchers.release()

    def forget_results(self) -> None:
        searchers._result_cache.clear()

    def reset_for_tests(self) -> None:
        searchers._reset_for_tests()
