"""Readable differences between two versions of a case."""
from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher

from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.cases.models import Case, CaseVersion
from portal.cases.services import FIELD_LABELS, snapshot
from portal.errors import NotFound


@dataclass
class Revision:
    """A version (number >= 1) or the current content (number 0 means "current")."""

    number: int
    label: str
    data: dict
    version: CaseVersion | None = None


def revisions(case: Case) -> list[Revision]:
    """Newest first: the current content, then every kept version."""
    items = [Revision(0, _("当前版本"), snapshot(case))]
    for v in sorted(case.versions, key=lambda v: v.number, reverse=True):
        items.append(Revision(v.number, _("第 %(n)d 版", n=v.number), json.loads(v.snapshot), v))
    return items


def get_revision(case: Case, number: int) -> Revision:
    found = next((r for r in revisions(case) if r.number == number), None)
    if found is None:
        raise NotFound(_("未找到该版本。"))
    return found


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(value)
    return str(value)


def inline_diff(old: str, new: str) -> Markup:
    """Character-level diff with <del>/<ins>, good for Chinese text without spaces."""
    # Compare line by line first so long sections stay fast, then characters inside changed lines.
    out = []
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for op, a1, a2, b1, b2 in SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(old_lines[a1:a2])))
            continue
        a, b = "".join(old_lines[a1:a2]), "".join(new_lines[b1:b2])
        if op == "replace" and len(a) + len(b) < 6000:
            for cop, c1, c2, d1, d2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
                if cop == "equal":
                    out.append(escape(a[c1:c2]))
                else:
                    if c2 > c1:
                        out.append(Markup("<del>%s</del>") % a[c1:c2])
                    if d2 > d1:
                        out.append(Markup("<ins>%s</ins>") % b[d1:d2])
        else:
            if a:
                out.append(Markup("<del>%s</del>") % a)
            if b:
                out.append(Markup("<ins>%s</ins>") % b)
    return Markup("").join(out)


def compare(old: Revision, new: Revision) -> list[tuple[str, Markup]]:
    """(field label, inline diff) for every field that differs."""
    changes = []
    for name, label in FIELD_LABELS.items():
        a, b = _as_text(old.data.get(name)), _as_text(new.data.get(name))
        if a != b:
            changes.append((_(label), inline_diff(a, b)))
    return changes
