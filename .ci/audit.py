"""Known vulnerabilities in the pinned requirements (pip-audit), for .ci/run.

Fails CI (exit 1) when the advisory service reports a vulnerability in a pinned package. When
the service cannot be reached (a closed network, an outage), it says so loudly and exits 0:
an unreachable service must not block work, but nobody may read it as "no vulnerabilities".
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / ".venv" / "bin" / "pip-audit"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        run = subprocess.run([str(AUDIT), "--progress-spinner", "off", "-r", str(ROOT / "requirements.txt"),
                              "--no-deps", "--disable-pip", "--format", "json", "-o", str(report),
                              "--timeout", "20"], capture_output=True, text=True)
        if not report.exists():
            reason = (run.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"pip-audit: ADVISORY SERVICE UNREACHABLE, dependencies NOT audited ({reason[:300]})")
            return 0
        data = json.loads(report.read_text())
    deps = data.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} pinned package(s) with known vulnerabilities: update requirements.txt")
        return 1
    if deps and len(skipped) == len(deps):
        print(f"pip-audit: ADVISORY SERVICE UNREACHABLE, none of the {len(deps)} pinned packages could be audited "
              f"({skipped[0]['skip_reason'][:120]})")
        return 0
    print(f"pip-audit: {len(deps) - len(skipped)} pinned packages audited, no known vulnerabilities"
          + (f"; {len(skipped)} could not be audited" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
