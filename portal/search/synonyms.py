"""Query-time synonyms from plain-text files (the shipped list plus <instance>/synonyms.txt)."""
from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from portal.search.analysis import HERE, fold

_lock = threading.Lock()
_cache: dict[tuple, dict[str, tuple[str, ...]]] = {}


def _files() -> list[Path]:
    files = [HERE / "synonyms.txt"]
    extra = Path(current_app.instance_path) / "synonyms.txt"
    if extra.exists():
        files.append(extra)
    return files


def parse(text: str) -> list[tuple[str, ...]]:
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        terms = tuple(dict.fromkeys(fold(t).strip().lower() for t in line.split("=") if t.strip()))
        if len(terms) > 1:
            groups.append(terms)
    return groups


def version() -> tuple:
    """Identifies the current content of the synonym files (part of the search result cache key)."""
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in _files())


def table() -> dict[str, tuple[str, ...]]:
    """term -> every term of its groups (itself included). Re-read when a file changes."""
    files = _files()
    key = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    with _lock:
        if key not in _cache:
            mapping: dict[str, list[str]] = {}
            for f in files:
                for group in parse(f.read_text(encoding="utf-8")):
                    for term in group:
                        bucket = mapping.setdefault(term, [term])
                        bucket.extend(t for t in group if t not in bucket)
            _cache.clear()
            _cache[key] = {k: tuple(v) for k, v in mapping.items()}
        return _cache[key]


def expand(term: str) -> tuple[str, ...]:
    return table().get(term.lower(), (term,))
