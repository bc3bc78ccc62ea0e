#!/usr/bin/env bash
# Lighthouse (desktop preset) scores of five public pages of the demo site: home, /cases, a case,
# a search and a sharing session. Not part of CI. The site runs as in production (gunicorn,
# PORTAL_ENV=production) on 127.0.0.1 with the demo data in a throwaway instance folder; Chromium
# is Debian's, with everything that would dial out switched off. See bench/lighthouse/README.md.
#
#   bench/lighthouse/run.sh            # prints one line per page; JSON reports in bench/out/lighthouse/
#   PYTHON=/path/to/venv/bin/python PORT=5077 RUNS=3 bench/lighthouse/run.sh   (default: a free port, 3 runs)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
PYTHON=${PYTHON:-.venv/bin/python}
PORT=${PORT:-$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
RUNS=${RUNS:-3}                     # runs per page; the median performance run is reported
out=${OUT:-bench/out/lighthouse}
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}

[ -x "$here/node_modules/.bin/lighthouse" ] || (cd "$here" && npm ci --no-audit --no-fund --silent)

work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export PORTAL_ENV=production PORTAL_SECRET_KEY=lighthouse-bench-only PORTAL_INSTANCE_DIR="$work" \
  PORTAL_DATABASE_URL="sqlite:///$work/portal.db" PORTAL_RATELIMIT_STORAGE=memory:// PORTAL_COOKIE_SECURE=false
"$(dirname "$PYTHON")/pybabel" -q compile -d portal/translations
"$PYTHON" -m flask --app wsgi db upgrade >/dev/null 2>&1
"$PYTHON" -m flask --app wsgi portal seed-demo >/dev/null
read -r case_id session_id < <("$PYTHON" - <<'EOF'
from sqlalchemy import select
from portal import create_app
from portal.cases.models import Case
from portal.extensions import db
from portal.sessions.models import SharingSession
with create_app().app_context():
    case = db.session.scalar(select(Case.id).where(Case.status == "published").order_by(Case.id))
    session = db.session.scalar(select(SharingSession.id).where(SharingSession.status == "archived").order_by(SharingSession.id))
    print(case, session)
EOF
)
"$PYTHON" -m gunicorn --preload -w 2 -b "127.0.0.1:$PORT" --log-level warning wsgi:app &
server=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
kill -0 "$server" 2>/dev/null || { echo "gunicorn did not start on port $PORT" >&2; exit 1; }

mkdir -p "$out"
base="http://127.0.0.1:$PORT"
pages=(home "/" cases "/cases" case "/cases/$case_id" search "/search?q=%E7%A4%BE%E5%8C%BA%E8%AE%AE%E4%BA%8B" session "/sessions/$session_id")
printf '%-8s %-28s %5s %5s %5s %5s\n' page url perf a11y bp seo
for ((i = 0; i < ${#pages[@]}; i += 2)); do
  name=${pages[i]} url=${pages[i+1]}
  for run in $(seq "$RUNS"); do
    "$here/node_modules/.bin/lighthouse" "$base$url" --preset=desktop --quiet \
      --only-categories=performance,accessibility,best-practices,seo \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-default-apps --disable-extensions" \
      --output=json --output-path="$out/$name-$run.json"
  done
  "$PYTHON" - "$out" "$name" "$url" "$RUNS" <<'EOF'
import json, statistics, sys
out, name, url, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
reports = [json.load(open(f"{out}/{name}-{n}.json")) for n in range(1, runs + 1)]
perf = sorted(reports, key=lambda r: r["categories"]["performance"]["score"])
median = perf[len(perf) // 2]
scores = [median["categories"][c]["score"] for c in ("performance", "accessibility", "best-practices", "seo")]
print(f"{name:<8} {url[:28]:<28} " + " ".join(f"{s:5.2f}" for s in scores))
for category in ("accessibility", "best-practices", "seo"):
    for ref in median["categories"][category]["auditRefs"]:
        audit = median["audits"][ref["id"]]
        if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
            print(f"    {category}: {ref['id']} ({audit['title']})")
EOF
done
