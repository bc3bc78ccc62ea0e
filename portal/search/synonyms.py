"""Query-time expansion from plain-text vocabulary files, as weighted alternatives.

Two vocabularies, each a shipped file plus an optional one of the same name in the instance
folder (editable by the site's administrators, re-read when it changes):

* ``synonyms.txt``: interchangeable names (社工站 = 社会工作站, 居委会 = 居民委员会);
* ``related.txt``: the words residents and practitioners use for the same thing (孩子 = 儿童,
  看病 = 就医, 一刻钟 = 15分钟), partly drawn from the HIT 同义词词林 (see the file's header).

Every line is a group of terms separated by "="; a search for any term also finds the others.
The word as typed always counts most: a synonym scores SYNONYM_WEIGHT of it and a related word
RELATED_WEIGHT, so an exact match ranks above a match through an expansion. Numbers written in
Chinese numerals also match Arabic digits and the other way round (十五分钟 = 15分钟).
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

from flask import current_app, g, has_app_context

from portal.search.analysis import HERE, fold

SYNONYM_WEIGHT = 0.8
RELATED_WEIGHT = 0.7
NUMBER_WEIGHT = 0.9
VOCABULARIES = (("synonyms.txt", SYNONYM_WEIGHT), ("related.txt", RELATED_WEIGHT))

_lock = threading.Lock()
_cache: dict[tuple, dict[str, tuple[tuple[str, float], ...]]] = {}


def _files() -> list[tuple[Path, float, tuple]]:
    """(path, weight, (mtime, size)) of each vocabulary file there is. Looked at once per request
    (application context): planning a query asks for the table once per word and variant, and
    each look had cost a search four file-system calls per file."""
    if has_app_context() and "search_vocabulary_files" in g:
        return g.search_vocabulary_files
    files = []
    for name, weight in VOCABULARIES:
        for path in (HERE / name, Path(current_app.instance_path) / name):
            try:
                found = path.stat()
            except FileNotFoundError:
                continue
            files.append((path, weight, (found.st_mtime_ns, found.st_size)))
    if has_app_context():
        g.search_vocabulary_files = files
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
    """Identifies the current content of the vocabulary files (part of the search result cache key)."""
    return tuple((str(f), *stamp) for f, _w, stamp in _files())


def table() -> dict[str, tuple[tuple[str, float], ...]]:
    """term -> ((alternative, weight), ...), the term itself first with weight 1. A term in both
    vocabularies keeps its higher weight. Re-read when a file changes."""
    files = _files()
    key = tuple((str(f), *stamp) for f, _w, stamp in files)
    with _lock:
        if key not in _cache:
            mapping: dict[str, dict[str, float]] = {}
            for f, weight, _stamp in files:
                for group in parse(f.read_text(encoding="utf-8")):
                    for term in group:
                        bucket = mapping.setdefault(term, {term: 1.0})
                        for other in group:
                            if bucket.get(other, 0.0) < weight:
                                bucket[other] = weight
            _cache.clear()
            _cache[key] = {k: tuple(v.items()) for k, v in mapping.items()}
        return _cache[key]


def weighted(term: str) -> tuple[tuple[str, float], ...]:
    """The term and its alternatives with their weights, the term first."""
    key = term.lower()
    found = dict(table().get(key, ((key, 1.0),)))
    if key != term:  # keep the typed spelling first (the index is lower-cased anyway)
        found = {term: 1.0, **{k: w for k, w in found.items() if k != key}}
    for variant in numeral_variants(term):
        found.setdefault(variant, NUMBER_WEIGHT)
    return tuple(found.items())


def expand(term: str) -> tuple[str, ...]:
    return tuple(text for text, _w in weighted(term))


# Numbers ------------------------------------------------------------------------------------------

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUMBER = re.compile(r"(?<!\d)[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万]*")
_AR_NUMBER = re.compile(r"(?<![\d.])\d{1,8}(?![\d.])")
# Only a number followed by a counting word is worth rewriting: 十五分钟, 5000个; not 一刻钟 (a
# fixed word) or 一线, 三明 (names).
_COUNTERS = ("分钟", "小时", "个", "岁", "年", "天", "日", "月", "周", "名", "人", "户", "家", "项", "条", "次", "万", "亿",
             "元", "张", "所", "座", "公里", "米", "里")


def cn_to_int(text: str) -> int | None:
    """A Chinese numeral as an int (十五 -> 15, 五千 -> 5000, 二〇二四 -> 2024), or None."""
    if not text or not _CN_NUMBER.fullmatch(text):
        return None
    if all(ch in _DIGITS for ch in text):  # digit by digit: 二〇二四
        return int("".join(str(_DIGITS[ch]) for ch in text)) if len(text) > 1 else _DIGITS[text]
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch == "万":
            section = (section + (digit or 0)) or 1
            total += section * 10000
            section, digit = 0, None
        else:
            section += (digit if digit is not None else 1) * _UNITS[ch]
            digit = None
    return total + section + (digit or 0)


def int_to_cn(n: int) -> str:
    """15 -> 十五, 5000 -> 五千, 120 -> 一百二十 (up to 99,999,999)."""
    if n == 0:
        return "零"
    names = "零一二三四五六七八九"

    def below_10000(k: int) -> str:
        out, zero = "", False
        for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d, k = divmod(k, value)
            if d:
                if zero and out:
                    out += "零"
                out += names[d] + unit
                zero = False
            else:
                zero = True
        return out

    high, low = divmod(n, 10000)
    text = (below_10000(high) + "万" if high else "") + (("零" if high and low < 1000 else "") + below_10000(low) if low else "")
    return text[1:] if text.startswith("一十") else text


def numeral_variants(term: str) -> list[str]:
    """The term with its number written the other way, when a counting word follows it."""
    out = []
    for match in _CN_NUMBER.finditer(term):
        rest = term[match.end():]
        if rest.startswith(_COUNTERS) and (n := cn_to_int(match.group())) is not None:
            out.append(term[:match.start()] + str(n) + rest)
    for match in _AR_NUMBER.finditer(term):
        rest = term[match.end():]
        if rest.startswith(_COUNTERS) and int(match.group()) < 100_000_000:
            out.append(term[:match.start()] + int_to_cn(int(match.group())) + rest)
    return [v for v in dict.fromkeys(out) if v != term]


def is_number(text: str) -> bool:
    return bool(_AR_NUMBER.fullmatch(text) or _CN_NUMBER.fullmatch(text))


def counter_at(text: str, index: int) -> str:
    """The counting word starting at text[index] (个, 分钟 ...), or ""."""
    rest = text[index:]
    return next((c for c in _COUNTERS_LONGEST_FIRST if rest.startswith(c)), "")


_COUNTERS_LONGEST_FIRST = tuple(sorted(_COUNTERS, key=len, reverse=True))
