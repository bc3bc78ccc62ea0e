"""What a parsed query asks of an index, for every backend: per query word its variants (the
word as typed, its synonyms and related words with lower weights, numerals written the other
way), split compound words, exclusions and filters. The backends evaluate a :class:`Plan` their
own way (Whoosh over posting lists, PostgreSQL as a tsquery)."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from portal.search import synonyms
from portal.search.analysis import is_word, segment
from portal.search.parsing import _CJK, MAX_CLAUSES, SHORT_CJK, Clause, ParsedQuery

BM25_B, BM25_K1 = 0.75, 1.2  # Whoosh's BM25F defaults; the PostgreSQL backend ranks with them too

@dataclass
class Variant:
    """One synonym variant of a clause: its words, and the text of the substring fallback
    (None when the variant is not a short CJK word)."""
    terms: list[str]
    phrase: bool
    substring: str | None
    weight: float = 1.0  # 1 for the words as typed; less for a synonym or related word


@dataclass
class Plan:
    groups: list[list[Variant]] | None  # AND of OR-groups; None: every case; []: none
    excluded: list[Variant]
    filters: list[tuple[str, str]]
    labels: list[str] = dc_field(default_factory=list)  # the word each group stands for (as typed)
    owners: list[str] = dc_field(default_factory=list)  # the query word each group comes from
    compounds: list[list[str]] = dc_field(default_factory=list)  # split words: their terms, in order


def variants(clause: Clause) -> list[Variant]:
    texts = synonyms.weighted(clause.text) if not clause.phrase else ((clause.text, 1.0),)
    out = []
    for text, weight in texts:
        terms = [t for t, _pos, _s, _e in segment(text, search=False)]
        if not terms:
            continue
        compact = text.replace(" ", "")
        substring = None
        if _CJK.search(compact) and len(compact) <= SHORT_CJK and compact.isalnum() \
                and (len(compact) == 1 or not is_word(compact)):
            # Parts the segmenter keeps inside longer words: 五社 in 五社联动, 站 in 社工站. A
            # dictionary word of two or three characters needs no such help: search-mode
            # segmentation indexes it inside every longer word that contains it.
            substring = compact.lower()
        out.append(Variant(terms, clause.phrase or " " in text or whole_only(terms), substring, weight))
    return out


def whole_only(terms: list[str]) -> bool:
    """Whether a word that segments into these terms is matched only with its parts together:
    words and a lone character (为老服务 -> 老 服务, 儿童之家 -> 儿童 家) mean something only side
    by side, since 老 and 服务 apart are in most cases. Words of words only (老人食堂) stay loose:
    everyday wording often puts them apart (独居老人 … 食堂)."""
    return len(terms) > 1 and any(len(t) == 1 and _CJK.match(t) for t in terms)


def plan(parsed: ParsedQuery, filters: dict[str, str]) -> Plan:
    groups, labels, owners, compounds = None, [], [], []
    if not parsed.empty:
        groups = []
        for i, group in enumerate(parsed.groups):
            parts = split(group)
            # Split words count against the term cap (a 200-character query without spaces is one
            # clause of a hundred words): past it, a word is matched whole, as typed.
            if parts and len(groups) + len(parts) + len(parsed.groups) - i - 1 <= MAX_CLAUSES:
                # A word the segmenter splits and that has no synonym of its own (老人吃饭难,
                # 新时代文明实践站): each part must occur, through the part's own synonyms too;
                # where the parts stand together the case ranks higher (see phrase_bonus()).
                compounds.append(parts)
                for part in parts:
                    found = variants(Clause(part))
                    if found:
                        groups.append(found)
                        labels.append(part)
                        owners.append(group[0].text)
                continue
            found = [v for c in group for v in variants(c)]
            if found:
                groups.append(found)
                labels.append(" OR ".join(c.text for c in group))
                owners.append(labels[-1])
    excluded = [v for c in parsed.excluded for v in variants(c)]
    return Plan(groups, excluded, [(name, value) for name, value in filters.items() if value], labels, owners,
                 compounds)


def split(group: list[Clause]) -> list[str]:
    """The terms of a lone unquoted clause that segments into several terms and has no
    synonym or related word as a whole; [] otherwise."""
    if len(group) != 1 or group[0].phrase:
        return []
    text = group[0].text
    if text.lower() in synonyms.table():
        return []
    parts: list[str] = []
    taken = 0
    for term, _pos, start, end in segment(text, search=False):
        if start < taken:
            continue
        # A number keeps its counting word (5000个, 15分钟): the part then matches the number
        # written the other way too (五千个, 十五分钟; see synonyms.numeral_variants).
        end += len(synonyms.counter_at(text, end)) if synonyms.is_number(term) else 0
        parts.append(text[start:end].lower() if synonyms.is_number(term) else term)
        taken = end
    parts = list(dict.fromkeys(parts))
    return parts if len(parts) > 1 else []


def compound_parts(word: str) -> list[str]:
    """The words a dictionary compound is made of (居家养老 -> 居家 养老), from the segmenter's
    search-mode parts: the run of parts side by side that covers most of it, in as few parts as
    that takes (社会工作服务站 -> 社会 工作 服务站; 乡村振兴重点帮扶县 -> 乡村 振兴 重点 帮扶, a lone
    character left out). [] unless two parts cover all but one character (五社联动 holds only
    社联 and 联动: no)."""
    starting: dict[int, list[tuple[int, str]]] = {}
    for term, _pos, start, end in segment(word, search=True):
        if term != word and end - start > 1:
            starting.setdefault(start, []).append((end, term))
    best: dict[int, tuple[int, list[str]]] = {len(word): (0, [])}  # from here on: (covered, parts)
    for at in range(len(word) - 1, -1, -1):
        options = [best[at + 1]] + [(end - at + best[end][0], [term, *best[end][1]])
                                    for end, term in starting.get(at, ()) if end in best]
        best[at] = max(options, key=lambda o: (o[0], -len(o[1])))
    covered, parts = best[0]
    return parts if len(parts) >= 2 and covered >= len(word) - 1 else []


def partial_units(plan: Plan) -> dict[str, list[tuple[str, list[Variant]]]]:
    """What partial matches count, for a plain query: query word -> [(part, its variants)]. A
    word the segmenter split (垃圾分类 -> 垃圾 分类) counts by the share of its parts a case
    holds; a query of one such word (老人吃饭难) counts its parts as words, except single
    characters (难), which would let almost any case count. {} when there are fewer than two."""
    units: dict[str, list[tuple[str, list[Variant]]]] = {}
    for label, owner, found in zip(plan.labels, plan.owners, plan.groups or ()):
        units.setdefault(owner, []).append((label, found))
    if len(units) < 2:
        units = {label: [(label, found)] for label, _owner, found in zip(plan.labels, plan.owners, plan.groups or ())
                 if len(label) > 1 or not _CJK.match(label)}
    return units if len(units) >= 2 else {}


def strongest(group: list[Variant]) -> float:
    """The largest weight among a query word's variants (1 for a word as typed). Both backends
    take the variants' weights relative to it inside the saturation and multiply the word's score
    by it: a word that stands alone with a weight of its own (the feedback words of the related
    cases) keeps it as a plain factor."""
    return max((v.weight for v in group), default=1.0) or 1.0


def group_idf(held: list[tuple[float, float]]) -> float:
    """The idf of a query word scored as one with its variants (both backends): the mean of
    the (weight, idf) pairs of its indexed variants' words, weighted; 0 when none is indexed.
    Between the typed word's idf and its expansions': a rare word with a common synonym is not
    scored as rare (a passing mention of the rare word then outranks stories about the topic),
    nor as common as the synonym."""
    total = sum(w for w, _idf in held)
    return sum(w * idf for w, idf in held) / total if total else 0.0


def common_in_order(a: str, b: str) -> int:
    """Length of the longest common subsequence of two short words (spelling suggestions)."""
    row = [0] * (len(b) + 1)
    for ch in a:
        prev = 0
        for j, other in enumerate(b, start=1):
            prev, row[j] = row[j], (prev + 1 if ch == other else max(row[j], row[j - 1]))
    return row[-1]


def close_enough(word: str, term: str) -> int:
    """How many characters ``term`` shares with ``word`` in order when it could be what was
    meant (at most one character more, less or different; two in common at least), else 0."""
    if abs(len(term) - len(word)) > 1 or term == word or len(term) < 2 \
            or len(set(word).intersection(term)) < max(len(word), len(term)) - 1:
        return 0
    shared = common_in_order(word, term)
    return shared if shared >= max(len(word), len(term)) - 1 and shared >= 2 else 0
