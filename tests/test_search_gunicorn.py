"""The index stays correct under `gunicorn -w 4 --preload` while curators publish and edit
cases concurrently: no change lost, none applied out of order, no error shown to a user.

Runs a real gunicorn against a SQLite file (WAL) and the index on local disk."""
from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import create_app

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PASSWORD = "curator-password-1"
pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in this environment")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_INSTANCE_DIR=str(instance), PORTAL_SECRET_KEY="gunicorn-test", PORTAL_COOKIE_SECURE="false",
               PORTAL_SEARCH_SYNC="thread")
    return env


def _build(instance: Path, n: int) -> list[int]:
    """Migrate, then create a curator and n submitted cases, as the CLI would."""
    (instance / "config.py").write_text("WTF_CSRF_ENABLED = False\nSEARCH_POLL_SECONDS = 0.5\n"
                                        "PASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\n")
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=_env(instance),
                   check=True, capture_output=True)
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "x", "SEARCH_SYNC": "inline",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "TESTING": True})
    with app.app_context():
        from portal.auth.services import create_user
        from portal.cases import services
        from portal.extensions import db
        from portal.orgs.services import create_verified_org

        create_user("curator@example.org", "审核人", PASSWORD, admin=True)
        unit = create_user("unit@example.org", "单位管理员", PASSWORD)
        org = create_verified_org("并发测试社工中心", "贵州省", "社工机构", unit)
        ids = []
        for i in range(n):
            case = services.create_case(None, org, services.CaseData(
                title=f"并发发布案例{i:02d}", summary="摘要", background=f"背景{i}", approach="做法",
                outcomes="成效", lessons="经验", themes=["五社联动"], province="贵州省", city="凯里市",
                community_type="城市社区"))
            services.transition(None, case, "submit")
            ids.append(case.id)
        db.session.commit()
        db.engine.dispose()
    return ids


class Client:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(self, path: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


def test_concurrent_publishing_under_four_workers(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    ids = _build(instance, 24)
    port = _free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "--preload", "-w", "4", "-b", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=_env(instance), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        # gunicorn writes the Date header itself: the app's own (make_conditional's) is dropped
        # by wsgi.py, so an answer carries exactly one.
        with urllib.request.urlopen(base + "/about", timeout=10) as page:
            assert len(page.headers.get_all("Date")) == 1, page.headers.get_all("Date")
        curators = [Client(base) for _ in range(6)]
        for c in curators:
            assert c.post("/auth/login", {"email": "curator@example.org", "password": PASSWORD}) == 200

        def publish(i_case):
            i, case_id = i_case
            client = curators[i % len(curators)]
            return client.post(f"/cases/{case_id}/transition", {"action": "publish"})

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(publish, enumerate(ids)))
        assert all(s == 200 for s in statuses), statuses  # redirects followed to the case page

        # Then edit titles concurrently, twice each: the index must end with the last title.
        def retitle(args):
            i, case_id, version = args
            client = curators[i % len(curators)]
            form = {"title": f"并发发布案例{i:02d}{'初稿' if version == 1 else '终稿'}", "summary": "摘要", "background": f"背景{i}",
                    "approach": "做法", "outcomes": "成效", "lessons": "经验", "themes": "五社联动",
                    "province": "贵州省", "city": "凯里市", "community_type": "城市社区"}
            return client.post(f"/cases/{case_id}/edit", form)

        jobs = [(i, cid, v) for v in (1, 2) for i, cid in enumerate(ids)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            for v in (1, 2):
                statuses = list(pool.map(retitle, [j for j in jobs if j[2] == v]))
                assert all(s == 200 for s in statuses), statuses

        app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "x", "SEARCH_SYNC": "off", "TESTING": True,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}"})
        with app.app_context():
            from portal.extensions import db
            from portal.search.models import SearchOutbox

            deadline = time.monotonic() + 30
            while db.session.scalar(select(func.count()).select_from(SearchOutbox)) and time.monotonic() < deadline:
                db.session.rollback()
                time.sleep(0.2)
            assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0
        result = app.test_cli_runner().invoke(args=["search", "check"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            from portal.search import service

            service.reset_for_tests()
            assert service.search("终稿", per_page=50).total == len(ids)
            assert service.search("初稿", per_page=50).total == 0, "an older edit overwrote a newer one"
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode()[-3000:]
