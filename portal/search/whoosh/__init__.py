"""The Whoosh search backend: the index on local disk (index.py, schema.py, analysis.py), the
per-process searcher (searchers.py), query evaluation over posting lists (matching.py,
results.py) and similar cases (similar.py)."""
