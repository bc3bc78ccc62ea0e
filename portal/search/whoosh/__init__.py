"""The Whoosh search backend (SEARCH_BACKEND = "whoosh", the default): the index on local disk
(index.py, schema.py, analysis.py), the per-process searcher and result cache (searchers.py),
query evaluation over posting lists (matching.py, results.py) and similar cases (similar.py).
Nothing outside this package imports it; the app goes through portal.search.service."""
from portal.search.whoosh.backend import WhooshBackend

__all__ = ["WhooshBackend"]
