"""Chinese text analysis on the rjieba segmenter (jieba-rs), for every search backend
(the Whoosh tokenizer classes over :func:`segment` are in portal.search.whoosh.analysis).

Why our own segmentation rather than jieba's ChineseAnalyzer: that one stores character offsets
as token positions (so quoted phrases never match) and Porter-stems English. Here:

* positions are sequential over the *default* segmentation; in search mode the extra,
  shorter words inside a long word (社会 and 工作 inside 社会工作) share the long word's
  position, so both phrases and partial words match;
* character offsets are exact offsets into the original text (for highlights);
* full-width Latin letters and digits are folded to ASCII and lower-cased, with no stemming;
* a small stop list drops function words.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import rjieba

HERE = Path(__file__).resolve().parent
DICTIONARY = HERE / "dictionary.txt"

STOPWORDS = frozenset(
    "的 了 和 与 及 以及 在 是 等 对 为 将 把 被 也 而 或 之 其 并 由 从 向 于 这 那 个 中 上 下 "
    "a an and are as at be by for from in is it of on or that the to with".split()
)

# Full-width ASCII (！ to ～) and the ideographic space fold to ASCII: a one-to-one,
# length-preserving mapping, so offsets into the folded text are offsets into the original.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20

_dictionary_lock = threading.Lock()
_dictionary_loaded = False


def load_dictionary(path: Path = DICTIONARY) -> int:
    """Teach the segmenter our domain words (once per process; call before forking workers).

    rjieba cannot read a dictionary file, so each entry is added with add_word.
    """
    global _dictionary_loaded
    with _dictionary_lock:
        if _dictionary_loaded:
            return 0
        count = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            word, _, freq = line.partition(" ")
            rjieba.add_word(word, int(freq) if freq.strip().isdigit() else None, None)
            count += 1
        _dictionary_loaded = True
        return count


def is_word(text: str) -> bool:
    """Whether the segmenter's dictionary (with ours) holds ``text`` as one word."""
    load_dictionary()
    return bool(rjieba.has_word(text))


def fold(text: str) -> str:
    """Width-fold Latin letters, digits and punctuation; same length as the input."""
    return text.translate(_FOLD)


_ALNUM = re.compile(r"[^\W_]")  # \w is str.isalnum() plus "_"; a regex beats a Python loop


def _is_word(text: str) -> bool:
    """Keep tokens that contain a letter, digit or CJK character; drop spaces and punctuation."""
    return _ALNUM.search(text) is not None


def _lower(text: str) -> str:
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text


def segment(text: str, search: bool) -> list[tuple[str, int, int, int]]:
    """(term, position, start, end) for the text. In search mode, parts of long words come
    with the position of the word that contains them."""
    load_dictionary()
    folded = fold(text)
    raw = rjieba.tokenize(folded, mode="search" if search else "default")
    out: list[tuple[str, int, int, int]] = []
    if not search:
        pos = 0
        for word, start, end in raw:
            term = _lower(word)
            if not _is_word(term):
                continue
            if term not in STOPWORDS:
                out.append((term, pos, start, end))
            pos += 1
        return out
    # Search mode: a token is "main" when it is a word of the default segmentation; the others
    # are parts of the main word that jieba emits right after them. (A look-ahead that stopped
    # at the first token starting past a part's end missed the covering word of 社会工作服务站,
    # so 社会 got a position of its own and phrases across such words failed.)
    default_spans = {(s, e) for _w, s, e in rjieba.tokenize(folded, mode="default")}
    main = [(start, end) in default_spans for _w, start, end in raw]
    pos = -1
    pending: list[tuple[str, int, int]] = []
    for i, (word, start, end) in enumerate(raw):
        if not main[i]:
            pending.append((word, start, end))
            continue
        if not _is_word(word):
            pending.clear()
            continue
        pos += 1
        for sub, s, e in pending:
            term = _lower(sub)
            if _is_word(term) and term not in STOPWORDS:
                out.append((term, pos, s, e))
        pending.clear()
        term = _lower(word)
        if term not in STOPWORDS:
            out.append((term, pos, start, end))
    return out


FIELD_SEP = "\x1e"  # joins the texts of one field that must not form phrases across each other
POSITION_GAP = 10  # positions skipped between such texts (any gap > 0 stops a phrase)


# Whoosh indexes store their schema pickled, naming the classes by module path: an index written
# before the Whoosh classes moved to portal.search.whoosh.analysis names them here.
_MOVED_TO_WHOOSH = frozenset({"ChineseTokenizer", "FieldsTokenizer", "TermPositions", "ChineseAnalyzer", "FieldsAnalyzer"})


def __getattr__(name: str):
    if name in _MOVED_TO_WHOOSH:
        from portal.search.whoosh import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
