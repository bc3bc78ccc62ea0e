"""Write tests/module_seconds.json from a JUnit XML report: the seconds each test module took
(set-up, call and tear-down of all its tests, both backends). conftest.py starts the longest
modules first, so that no worker is left finishing a long module alone at the end of a run.

    .venv/bin/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder --junitxml=/tmp/t.xml
    .venv/bin/python tests/update_module_seconds.py /tmp/t.xml

Modules missing from the file are estimated from their number of tests; rerun after adding a
long module.
"""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def module_of(case: ET.Element) -> str:
    parts = case.get("classname", "").split(".")
    while parts and parts[-1][:1].isupper():  # a test class
        parts.pop()
    return "/".join(parts) + ".py"


def main(report: str) -> None:
    seconds: Counter[str] = Counter()
    for case in ET.parse(report).iter("testcase"):
        seconds[module_of(case)] += float(case.get("time", 0))
    out = Path(__file__).with_name("module_seconds.json")
    out.write_text(json.dumps({m: round(s, 1) for m, s in seconds.most_common()}, indent=1) + "\n", "utf-8")
    print(f"{len(seconds)} modules, {sum(seconds.values()):.0f} s in all -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
