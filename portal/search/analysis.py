"""Chinese text analysis for Whoosh on the rjieba segmenter (jieba-rs).

Why our own tokenizer rather than jieba's ChineseAnalyzer: that one stores character offsets
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
from itertools import chain
from pathlib import Path
from pickle import dumps

import rjieba
from whoosh.analysis import Analyzer, Token, Tokenizer
from whoosh.formats import Positions
from whoosh.system import pack_uint

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


class ChineseTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`segment`. ``search=True`` for indexing, False for queries."""

    def __init__(self, search: bool = True):
        self.search = search

    def __eq__(self, other):
        return isinstance(other, ChineseTokenizer) and other.search == self.search

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        # Whoosh asks for mode="query" when it analyzes query text itself.
        search = self.search and mode != "query"
        for term, pos, start, end in segment(value, search):
            t.text = term
            t.boost = 1.0
            if keeporiginal:
                t.original = value[start:end]
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t

    def term_positions(self, value: str, mode: str = "") -> dict[str, list[int]]:
        """{term: positions}, what indexing needs, without a Token per token (TermPositions)."""
        out: dict[str, list[int]] = {}
        for term, pos, _start, _end in segment(value, self.search and mode != "query"):
            out.setdefault(term, []).append(pos)
        return out


FIELD_SEP = "\x1e"  # joins the texts of one field that must not form phrases across each other
POSITION_GAP = 10  # positions skipped between such texts (any gap > 0 stops a phrase)


class FieldsTokenizer(ChineseTokenizer):
    """:class:`ChineseTokenizer` over texts joined by FIELD_SEP (title, summary, body, meta in
    one field): each text is segmented on its own and its positions start past the previous
    text's, so phrases match within a text exactly as they would in a field of its own."""

    def __eq__(self, other):
        return type(other) is type(self) and other.search == self.search

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        if not tokenize or FIELD_SEP not in value:
            yield from super().__call__(value, positions, chars, keeporiginal, removestops, start_pos, start_char,
                                        tokenize, mode, **kwargs)
            return
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        search = self.search and mode != "query"
        pos_base, char_base = start_pos, start_char
        for part in value.split(FIELD_SEP):
            last = -1
            for term, pos, start, end in segment(part, search):
                t.text = term
                t.boost = 1.0
                if keeporiginal:
                    t.original = part[start:end]
                t.stopped = False
                if positions:
                    t.pos = pos_base + pos
                if chars:
                    t.startchar, t.endchar = char_base + start, char_base + end
                last = pos
                yield t
            pos_base += last + 1 + POSITION_GAP
            char_base += len(part) + len(FIELD_SEP)

    def term_positions(self, value: str, mode: str = "") -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        search = self.search and mode != "query"
        base = 0
        for part in value.split(FIELD_SEP):
            last = -1
            for term, pos, _start, _end in segment(part, search):
                out.setdefault(term, []).append(base + pos)
                last = pos
            base += last + 1 + POSITION_GAP
        return out


class TermPositions(Positions):
    """Whoosh's Positions format with the same encoding (an index reads the same), but
    word_values() takes {term: positions} from our tokenizers in one call instead of a Token
    object per token (add_document about 14 % cheaper, bench/README.md)."""

    def word_values(self, value, analyzer, **kwargs):
        term_positions = getattr(analyzer, "term_positions", None)
        if term_positions is None or kwargs.get("start_pos", 0):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb = self.field_boost
        for term, poslist in term_positions(value, kwargs.get("mode", "")).items():
            n = len(poslist)
            deltas = [b - a for a, b in zip(chain((0,), poslist), poslist)]
            yield term, n, float(n) * fb, pack_uint(n) + dumps(deltas, 2)


def ChineseAnalyzer() -> Analyzer:  # Whoosh's naming convention for analyzers
    return ChineseTokenizer(search=True)


def FieldsAnalyzer() -> Analyzer:
    return FieldsTokenizer(search=True)
