"""Scan case text for personal data (ID numbers, mobiles, e-mails, bank cards) before submission.

Pure Python, no Flask imports. Matching is ASCII-only and nothing is normalised; a value
counts only as a whole token (not glued to other ASCII letters/digits), so Chinese text
right next to a value does not hide it. Values that are already masked (contain ``*``)
are not reported again.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

__all__ = ["KIND_LABELS", "Finding", "is_valid_id_number", "luhn_ok", "mask_value",
           "scan_text", "scan_fields", "mask_in_text"]

KIND_LABELS = {"id_card": "身份证号", "mobile": "手机号码", "email": "电子邮箱", "bank_card": "银行卡号"}

CONTEXT_CHARS = 20

# Token boundaries per kind: (lookbehind, lookahead). '*' counts as glue so masked values stay quiet.
_NUM_BEFORE = r"(?<![0-9A-Za-z*])"
_NUM_AFTER = r"(?![0-9A-Za-z*])"
_EMAIL_BEFORE = r"(?<![A-Za-z0-9._%+\-*])"
_EMAIL_AFTER = r"(?![A-Za-z0-9_\-*@]|\.[A-Za-z0-9])"
_BOUNDS = {
    "id_card": (_NUM_BEFORE, _NUM_AFTER),
    "mobile": (_NUM_BEFORE, _NUM_AFTER),
    "bank_card": (_NUM_BEFORE, _NUM_AFTER),
    "email": (_EMAIL_BEFORE, _EMAIL_AFTER),
}

_ID_RE = re.compile(_NUM_BEFORE + r"[0-9]{17}[0-9Xx]" + _NUM_AFTER)
_MOBILE_PREFIX = r"(?:\+?86[ \-]?)"
_MOBILE_RE = re.compile(_NUM_BEFORE + _MOBILE_PREFIX + r"?1[3-9][0-9][ \-]?[0-9]{4}[ \-]?[0-9]{4}" + _NUM_AFTER)
_BANK_RE = re.compile(
    _NUM_BEFORE
    + r"(?:[0-9]{4}(?:[ \-][0-9]{4}){3}(?:[ \-][0-9]{1,3})?|[0-9]{16,19})"
    + _NUM_AFTER)
_EMAIL_RE = re.compile(
    _EMAIL_BEFORE
    + r"[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
    + _EMAIL_AFTER)
_ID_SHAPE_RE = re.compile(r"[0-9]{17}[0-9Xx]")
_DIGITS_RE = re.compile(r"[0-9]+")
_NON_DIGIT_RE = re.compile(r"[^0-9]")
_NEWLINE_RE = re.compile(r"\r\n|[\r\n\v\f\u2028\u2029]")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# Overlap resolution: earlier kinds win (an e-mail such as 13812345678@qq.com is one finding).
_PRIORITY = ("email", "id_card", "bank_card", "mobile")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in one field."""

    kind: str
    value: str
    field: str
    start: int
    end: int
    context: str
    masked: str

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def key(self) -> str:
        """Stable id used to remember "confirmed not personal" decisions."""
        return finding_key(self.kind, self.value)


def finding_key(kind: str, value: str) -> str:
    """``kind:<first 16 hex chars of sha256(value)>``."""
    return f"{kind}:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:16]}"


def is_valid_id_number(s: str) -> bool:
    """18-digit mainland resident ID: valid check character and a real birth date (1900..this year)."""
    if not isinstance(s, str) or not _ID_SHAPE_RE.fullmatch(s):
        return False
    year, month, day = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not 1900 <= year <= date.today().year:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper()


def luhn_ok(digits: str) -> bool:
    """Luhn checksum over a string of ASCII digits (at least two)."""
    if not isinstance(digits, str) or len(digits) < 2 or not _DIGITS_RE.fullmatch(digits):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mask_value(kind: str, value: str) -> str:
    """Masked form of a value; separators in mobiles/cards are dropped, a +86/86 prefix is kept."""
    if kind == "id_card":
        return value[:6] + "********" + value[-4:]
    if kind == "mobile":
        prefix = ""
        m = re.match(_MOBILE_PREFIX, value)
        if m and len(_NON_DIGIT_RE.sub("", value)) > 11:
            prefix = m.group(0)
            value = value[m.end():]
        digits = _NON_DIGIT_RE.sub("", value)
        return prefix + digits[:3] + "****" + digits[-4:]
    if kind == "email":
        local, _, domain = value.rpartition("@")
        return local[:1] + "***@" + domain
    if kind == "bank_card":
        digits = _NON_DIGIT_RE.sub("", value)
        return digits[:4] + "*" * max(len(digits) - 8, 0) + digits[-4:]
    raise ValueError(f"unknown kind: {kind!r}")


def _candidates(text: str):
    for m in _EMAIL_RE.finditer(text):
        yield "email", m.start(), m.end(), m.group(0)
    for m in _ID_RE.finditer(text):
        if is_valid_id_number(m.group(0)):
            yield "id_card", m.start(), m.end(), m.group(0)
    for m in _BANK_RE.finditer(text):
        digits = _NON_DIGIT_RE.sub("", m.group(0))
        if luhn_ok(digits) and not is_valid_id_number(digits):
            yield "bank_card", m.start(), m.end(), m.group(0)
    for m in _MOBILE_RE.finditer(text):
        yield "mobile", m.start(), m.end(), m.group(0)


def _context(text: str, start: int, end: int) -> str:
    snippet = text[max(start - CONTEXT_CHARS, 0):end + CONTEXT_CHARS]
    return _NEWLINE_RE.sub(" ", snippet)


def scan_text(text: str, field: str, ignore_keys: frozenset[str] = frozenset()) -> list[Finding]:
    """Findings in one field's text, ordered by position."""
    if not text:
        return []
    rank = {kind: i for i, kind in enumerate(_PRIORITY)}
    taken: list[tuple[int, int]] = []
    findings: list[Finding] = []
    for kind, start, end, value in sorted(_candidates(text), key=lambda c: (rank[c[0]], c[1])):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        if finding_key(kind, value) in ignore_keys:
            continue
        findings.append(Finding(kind=kind, value=value, field=field, start=start, end=end,
                                context=_context(text, start, end), masked=mask_value(kind, value)))
    findings.sort(key=lambda f: f.start)
    return findings


def scan_fields(fields: dict[str, str], ignore_keys: frozenset[str] = frozenset()) -> list[Finding]:
    """Findings across several fields, in field order, then by position."""
    findings: list[Finding] = []
    for name, text in fields.items():
        findings.extend(scan_text(text or "", name, ignore_keys))
    return findings


def mask_in_text(text: str, value: str, kind: str) -> str:
    """Replace every whole-token occurrence of ``value`` in ``text`` with its mask."""
    if not text or not value:
        return text
    before, after = _BOUNDS[kind]
    masked = mask_value(kind, value)
    return re.sub(before + re.escape(value) + after, lambda _m: masked, text)
