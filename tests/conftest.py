"""Fixtures in the flaskr / Indico spirit: app, client, runner, auth helper, factories.

Every test gets a real database: a fresh SQLite file copied from a migrated template, and,
when TEST_DATABASE_URL is set, the same tests again on PostgreSQL (schema migrated once,
tables emptied between tests; under pytest-xdist each worker has a database of its own).

A test module's "world" (the users, units and cases its table talks about) is built once per
backend through the real services and then restored by copy for every test that uses it: see
:func:`snapshot`.
"""
from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
from itertools import count
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from portal import create_app
from portal.config import normalize_database_url
from portal.extensions import db as _db

PG_URL = normalize_database_url(os.environ.get("TEST_DATABASE_URL", ""))
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _worker_redis_url(url: str, worker: str) -> str:
    """TEST_REDIS_URL with a Redis database of this xdist worker's own: the one given for the
    first worker (gw0), the numbers below it for the others (/15, /14, /13 ...). The limiter's
    reset() deletes every rate-limit key of its database, whatever the app's key prefix: one
    worker's test setting up an app wiped the counts another worker's test was making."""
    n = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    base, _, number = url.rpartition("/")
    if not url or not n or not number.isdigit():
        return url
    return f"{base}/{(int(number) - n) % 16}"


#: TEST_REDIS_URL as this process uses it ("" when unset: the Redis tests skip).
REDIS_URL = _worker_redis_url(os.environ.get("TEST_REDIS_URL", ""), os.environ.get("PYTEST_XDIST_WORKER", ""))
PASSWORD = "correct-horse-battery"
#: the pytest-xdist worker ("gw0", "gw1", ...), or "" when the suite runs in one process
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_pg_url(url: str) -> str:
    """Each xdist worker gets its own database next to TEST_DATABASE_URL's (created on demand,
    dropped at the end); commits skip the wait for the disk, which only matters to a crash."""
    parts = urlsplit(url)
    if WORKER:
        admin = create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
        name = f"{parts.path.lstrip('/')}_{WORKER}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        parts = parts._replace(path=f"/{name}")
    query = "&".join(filter(None, [parts.query, "options=-c%20synchronous_commit%3Doff"]))
    return urlunsplit(parts._replace(query=query))


def _drop_worker_pg(url: str) -> None:
    if not WORKER:
        return
    parts = urlsplit(url)
    admin = create_engine(urlunsplit(parts._replace(path="/postgres", query="")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)'))
    admin.dispose()


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by every app of the test process: each test builds its own
    app, and compiling the same templates again for each one cost more than most requests."""

    def __init__(self):
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket):
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


# What the databases and instance folders hold, so that a test whose world is already in place
# (nothing written since it was restored) skips the restore. Restoring costs about 85 ms per test
# on PostgreSQL; a permission table's read-only rows are most of the suite's tests.

#: any statement other than a read since the last restore, by any app of this process
_WRITES = {"seen": True}
_READS = re.compile(r"\s*(SELECT|PRAGMA|SHOW)\b", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, cursor, statement, parameters, context, executemany):
    if not _WRITES["seen"] and (not _READS.match(statement) or "nextval(" in statement):
        _WRITES["seen"] = True


#: what this process's PostgreSQL database holds: "seeded" or a saved world's key
_PG_HOLDS: dict[str, object] = {"what": None}
#: id(app) -> (what its instance folder holds, the folder's signature then)
_APP_HOLDS: dict[int, tuple] = {}


def _signature(folder: Path) -> tuple:
    """Names, sizes and change times of every file under ``folder`` (SQLite, uploads, index, mail)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = os.path.join(root, name)
            stat = os.lstat(path)
            found.append((path, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def _holds(app, database, what) -> bool:
    """True when ``app``'s instance folder (and on PostgreSQL the database) still hold ``what``
    exactly as restored: nothing was written anywhere since."""
    if _WRITES["seen"] or _APP_HOLDS.get(id(app), (None,))[0] != what:
        return False
    if database["backend"] == "postgresql" and _PG_HOLDS["what"] != what:
        return False
    return _APP_HOLDS[id(app)][1] == _signature(_instance(app))


def _now_holds(app, database, what) -> None:
    _APP_HOLDS[id(app)] = (what, _signature(_instance(app)))
    if database["backend"] == "postgresql":
        _PG_HOLDS["what"] = what
    _WRITES["seen"] = False


def _migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


#: backend -> its migrated database, prepared once per process (see database())
_DATABASES: dict[str, dict] = {}


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory):
    """A migrated database per backend, prepared once per test process.

    pytest sets a parametrised session fixture up again each time the tests switch from one
    backend to the other, which they do in every module (its SQLite tests, then its PostgreSQL
    ones): migrating again each time cost 1-2 s per module and backend. So the fixture only
    hands out what this process prepared, and the databases are dropped when it ends."""
    found = _DATABASES.get(request.param)
    if found is None or not _still_migrated(found):
        # (Again when a test left the schema downgraded: it failed half-way.)
        found = _DATABASES[request.param] = _prepare_database(request.param, tmp_path_factory, found)
    return found


def _prepare_database(backend: str, tmp_path_factory, before: dict | None) -> dict:
    if backend == "sqlite":
        folder = tmp_path_factory.mktemp("sqlite-template")
        template = folder / "template.db"
        app = create_app({"TESTING": True, "INSTANCE_DIR": str(folder),
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{template}"})
        _migrate(app)
        with app.app_context():
            _db.engine.dispose()
        return {"backend": "sqlite", "template": template}
    url = before["url"] if before else _worker_pg_url(PG_URL)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path_factory.mktemp("pg")),
                      "SQLALCHEMY_DATABASE_URI": url})
    _migrate(app)
    with app.app_context():
        # Reference data the migrations insert (e.g. the theme vocabulary), restored after each test.
        seeded = _pg_rows()
        _db.engine.dispose()
    _PG_HOLDS["what"] = None
    return {"backend": "postgresql", "url": url, "seeded": seeded}


def _still_migrated(database: dict) -> bool:
    """True when the database is still at the newest migration (tests that downgrade upgrade
    again before they end; one that failed half-way may not have). SQLite's template is only
    ever copied, never opened by a test."""
    if database["backend"] != "postgresql":
        return True
    engine = create_engine(database["url"])
    try:
        with engine.connect() as conn:
            found = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:  # noqa: BLE001  (no version table at all: not migrated)
        found = set()
    finally:
        engine.dispose()
    return found == _migration_heads()


@functools.cache
def _migration_heads() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory(str(Path(__file__).parents[1] / "migrations")).get_heads())


def pytest_sessionfinish(session):
    """The process's PostgreSQL database (under xdist, its worker's own) goes with the process."""
    found = _DATABASES.pop("postgresql", None)
    if found is not None:
        _drop_worker_pg(found["url"])


def _database_url(database, instance: Path) -> str:
    if database["backend"] == "sqlite":
        instance.mkdir(parents=True, exist_ok=True)
        target = instance / "portal.db"
        shutil.copyfile(database["template"], target)
        return f"sqlite:///{target}"
    return database["url"]


def _pg_rows() -> dict[str, list[dict]]:
    """Every row of every table, in dependency order (inside an app context)."""
    with _db.engine.connect() as conn:
        rows = {t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in _db.metadata.sorted_tables}
    return {name: found for name, found in rows.items() if found}


def _reset_postgres(app, rows: dict) -> None:
    """Empty every table, then put back ``rows`` (what the migrations seeded, or a saved world).

    DELETE, not TRUNCATE: TRUNCATE gives each table new files, which cost about a second per
    test for our 40 small tables; deleting a few hundred rows costs a tenth of that."""
    with app.app_context():
        tables = _db.metadata.sorted_tables
        with _db.engine.begin() as conn:
            # One round trip each for the deletes (children first) and for the sequences.
            conn.exec_driver_sql("; ".join(f"DELETE FROM {table.name}" for table in reversed(tables)))
            for table in tables:
                if rows.get(table.name):
                    conn.execute(table.insert(), rows[table.name])
            # The next id follows the restored rows (1 in an empty table), as after RESTART IDENTITY.
            conn.exec_driver_sql("SELECT " + ", ".join(
                f"setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                for table in tables if "id" in table.c))


def make_app(database, instance: Path, **overrides):
    config = {
        "TESTING": True,
        "INSTANCE_DIR": str(instance),
        "SQLALCHEMY_DATABASE_URI": _database_url(database, instance),
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # Production hashes with scrypt; a cheap method keeps hundreds of logins fast here.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Index right after each commit, so tests see search results immediately.
        "SEARCH_SYNC": "inline",
        "MAIL_DELIVERY": "inline",
        "COMPILATION_BUILD": "inline",
        # No background thread per test app: tests write view counts with viewcount.flush().
        "VIEW_COUNT_FLUSH_SECONDS": 0,
    }
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _BYTECODE
    return app


@pytest.fixture
def app_config():
    """Override per test module with extra config (e.g. CSRF)."""
    return {"WTF_CSRF_ENABLED": False}


#: The search backends that the search modules run against. The PostgreSQL one needs the
#: PostgreSQL database: its SQLite cells are left out at collection (pytest_collection_modifyitems).
SEARCH_BACKENDS = ["whoosh", "postgres"]


@pytest.fixture(params=SEARCH_BACKENDS)
def search_backend(request) -> str:
    """For modules whose app_config sets ``SEARCH_BACKEND`` from it (the search behaviour
    tests): every test then runs on each backend."""
    return request.param


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None and getattr(item, "callspec", None) is not None \
                and item.callspec.params.get("database") == "postgresql":
            # Skipped before its fixtures are set up (a demo world costs seconds to build).
            item.add_marker(pytest.mark.skip(reason=marker.args[0]))
    unsupported = [item for item in items
                   if getattr(item, "callspec", None) is not None
                   and item.callspec.params.get("search_backend") == "postgres"
                   and item.callspec.params.get("database") != "postgresql"]
    if unsupported:
        config.hook.pytest_deselected(items=unsupported)
        left_out = set(unsupported)
        items[:] = [item for item in items if item not in left_out]
    _longest_modules_first(items)


#: Seconds per test module, measured (tests/update_module_seconds.py); others: per test.
_MODULE_SECONDS = Path(__file__).with_name("module_seconds.json")
_SECONDS_PER_TEST = 0.1


def _longest_modules_first(items) -> None:
    """Order the modules longest first, each module's tests in their own order. pytest-xdist
    (--dist loadfile --no-loadscope-reorder, see the Makefile) hands the modules out in this
    order, so the short ones fill the gaps at the end instead of a long one (a browser story, the
    schema check: few tests, many seconds) keeping one worker busy after the others are done."""
    known = json.loads(_MODULE_SECONDS.read_text("utf-8")) if _MODULE_SECONDS.exists() else {}
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    order = sorted(modules, key=lambda m: -known.get(m, _SECONDS_PER_TEST * len(modules[m])))
    items[:] = [item for module in order for item in modules[module]]


@pytest.fixture
def app(request, database, tmp_path, app_config, tmp_path_factory):
    """The app on a fresh database. By default one app per backend and configuration serves
    every test of a process, with the database, instance folder, config, rate limits and search
    caches reset before each test: building an app (160 URL rules) costs more than most tests'
    requests. Modules that change the app itself set ``SHARED_APP = False`` and get a fresh app
    per test."""
    # A test with a saved world gets it from snapshot(); the others the migrated, empty database.
    with_world = "snapshot" in request.fixturenames
    shared = getattr(request.module, "SHARED_APP", True)
    if shared:
        app = _shared_app(database, app_config, tmp_path_factory)
    else:
        app = make_app(database, tmp_path / "instance", **app_config)  # a new folder (SQLite: a new copy)
    if not with_world and not _holds(app, database, "seeded"):
        if shared:
            _fresh_instance(app, database)
        if database["backend"] == "postgresql":
            _reset_postgres(app, database["seeded"])
        _now_holds(app, database, "seeded")
    _CURRENT["sign_ins"] = {}
    yield app
    # A test that chose MAIL_DELIVERY (or another outbox) "thread" left a thread polling this
    # app's database; the next test may replace that file while the thread reads it.
    for worker in ("portal_mail_sender", "portal_indexer", "portal_compilation_builder"):
        if worker in app.extensions:
            app.extensions[worker].stop()
    with app.app_context():
        _db.session.remove()
        # Shared apps keep their PostgreSQL connections from test to test (a new connection
        # costs milliseconds); a SQLite file may be replaced before the next test.
        if database["backend"] == "sqlite" or not shared:
            _db.engine.dispose()


#: (backend, configuration) -> {"app", "config"}: the apps of SHARED_APP modules in this process
_SHARED_APPS: dict[tuple, dict] = {}


def _shared_app(database, app_config, tmp_path_factory):
    """The process's app for this backend and configuration, with its configuration, rate limits
    and caches reset (its data: see the app fixture)."""
    from portal.extensions import limiter
    from portal.search import service

    key = (database["backend"], repr(sorted(app_config.items())))
    entry = _SHARED_APPS.get(key)
    if entry is None:
        app = make_app(database, tmp_path_factory.mktemp("shared-app") / "instance", **app_config)
        entry = _SHARED_APPS[key] = {"app": app, "config": dict(app.config)}
    app = entry["app"]
    app.config.clear()
    app.config.update(entry["config"])
    limiter.reset()
    # One limiter object serves every app of the process: it is on or off as the app last made
    # wanted (test_api_schema's app turns it off); this app's own choice again.
    limiter.enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
    # Views counted in memory remember their visitors: a restored world's users are new visitors.
    views = app.extensions.get("case_view_counter")
    if views is not None and hasattr(views.store, "remember"):
        views.store = type(views.store)(views.store.remember)
    # Facets cached under a version number: restoring a database can bring an old number back.
    app.extensions.pop("case_facets", None)
    # The searcher and result caches are keyed by the index folder, which this app keeps.
    with app.app_context():
        service.reset_for_tests()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


class Factory:
    """Builds rows through the real services, so tests start from states users can reach."""

    def __init__(self, app):
        self.app = app
        self._seq = count(1)

    def user(self, email=None, name=None, *, admin=False, reviewer=False, password=PASSWORD):
        from portal.admin.services import grant_reviewer
        from portal.auth.services import register_user

        n = next(self._seq)
        with self.app.app_context():
            user = register_user(email or f"user{n}@example.org", name or f"用户{n}", password)
            user.is_admin = admin
            if reviewer:
                grant_reviewer(None, user, title="教授", affiliation="某大学", expertise="五社联动")
            _db.session.commit()
            return user.id, user.email

    def org(self, admin_email, *, name=None, status="verified", province="贵州省", org_type="社工机构"):
        from portal.auth.services import get_user_by_email
        from portal.orgs.models import OrgStatus
        from portal.orgs.services import OrgData, apply_for_org

        n = next(self._seq)
        with self.app.app_context():
            user = get_user_by_email(admin_email)
            org = apply_for_org(user, OrgData(name=name or f"测试社工机构{n}", org_type=org_type,
                                              province=province, city="贵阳市", contact_name="联系人"))
            org.status = OrgStatus(status)
            _db.session.commit()
            return org.id

    def member(self, org_id, email, role="editor"):
        from portal.auth.services import get_user_by_email
        from portal.orgs.models import Membership

        with self.app.app_context():
            _db.session.add(Membership(org_id=org_id, user=get_user_by_email(email), role=role))
            _db.session.commit()


    def case(self, org_id, title="社区议事会推动加装电梯", *, status="published", themes=("党建引领",),
             body="居民议事会逐户协商，确定加装方案。", province="贵州省", **fields):
        """A case made through the case services and moved to ``status``; returns its id."""
        from portal.cases.services import CaseData, create_case, transition
        from portal.orgs.models import Organization

        steps = {"draft": [], "submitted": ["submit"], "in_review": ["submit", "start_review"],
                 "returned": ["submit", "return"], "published": ["submit", "publish"],
                 "archived": ["submit", "publish", "archive"]}[status]
        with self.app.app_context():
            org = _db.session.get(Organization, org_id)
            data = {"background": "小区建成二十余年，老人上下楼困难。", "outcomes": "两年加装电梯十二部。",
                    "lessons": "先议事后决策，尊重少数意见。", "summary": "一个基层实践案例。",
                    "city": "贵阳市", "community_type": "城市社区", **fields}
            case = create_case(None, org, CaseData(title=title, approach=body, themes=list(themes),
                                                   province=province, **data))
            for step in steps:
                transition(None, case, step, reason="请补充成效数据。" if step == "return" else "")
            _db.session.commit()
            return case.id


@pytest.fixture
def factory(app):
    return Factory(app)


#: saved worlds of this process: (backend, key) -> {"folder", "rows", "value", "seq"}
_WORLDS: dict[tuple, dict] = {}


@pytest.fixture
def snapshot(request, app, database, factory, app_config, tmp_path_factory):
    """``snapshot(build)`` returns ``build()``'s value, building the world only once.

    The first test of a module (per backend, per app configuration) builds it through the real
    services; the database and the instance folder (uploads, search index, mail) are then
    saved, and later tests get a copy restored into their app (a folder copy on SQLite; on
    PostgreSQL DELETE + INSERT of the saved rows: milliseconds instead of seconds of building).
    ``build`` must return plain data (ids, e-mails), never ORM objects.
    """
    def use(build, name: str = "world"):
        key = (database["backend"], request.module.__name__, name, repr(sorted(app_config.items())))
        saved = _WORLDS.get(key)
        if saved is None:
            _fresh_instance(app, database)
            if database["backend"] == "postgresql":
                _reset_postgres(app, database["seeded"])
            value = build()
            signed_in = getattr(request.module, "QUICK_SIGN_IN", False)
            saved = _WORLDS[key] = _save_world(app, database, factory, value, tmp_path_factory, signed_in)
        elif _holds(app, database, key):
            factory._seq = count(saved["seq"])
        else:
            _restore_world(app, database, factory, saved)
        _now_holds(app, database, key)
        _CURRENT["sign_ins"] = saved["sign_ins"]
        return copy.deepcopy(saved["value"])

    return use


def _instance(app) -> Path:
    return Path(app.config["INSTANCE_DIR"])


def _fresh_instance(app, database) -> None:
    """An empty instance folder for ``app`` (SQLite: with a fresh copy of the migrated template)."""
    _close_database(app)
    instance = _instance(app)
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    _database_url(database, instance)


def _close_database(app) -> None:
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _save_world(app, database, factory, value, tmp_path_factory, signed_in: bool) -> dict:
    sign_ins = _start_sessions(app) if signed_in else {}
    _close_database(app)
    folder = tmp_path_factory.mktemp("world") / "instance"
    # symlinks=True: the search index's "current" link is relative and must stay so.
    shutil.copytree(_instance(app), folder, symlinks=True)
    rows = None
    if database["backend"] == "postgresql":
        with app.app_context():
            rows = _pg_rows()
            _db.engine.dispose()
    return {"folder": folder, "rows": rows, "value": copy.deepcopy(value), "seq": next(factory._seq),
            "sign_ins": sign_ins}


def _start_sessions(app) -> dict[str, str]:
    """A sign-in (LoginSession) for every active user of the world, saved with it: tests of a
    QUICK_SIGN_IN module then sign in by cookie (AuthActions.sign_in), which writes nothing, so
    their read-only requests leave the world in place for the next test. e-mail -> cookie id."""
    from datetime import timedelta

    from portal.auth.models import User
    from portal.auth.services import start_session
    from portal.models_base import utcnow

    with app.app_context():
        users = _db.session.scalars(_db.select(User).order_by(User.id)).all()
        found = {}
        for user in users:
            if user.is_active:
                row = start_session(user, remembered=False, user_agent="pytest")
                # "Last seen" is written at most every 10 minutes: never during the run.
                row.last_seen_at = utcnow() + timedelta(days=1)
                found[user.email] = user.get_id()
        _db.session.commit()
        return found


def _restore_world(app, database, factory, saved: dict) -> None:
    _close_database(app)
    instance = _instance(app)
    shutil.rmtree(instance)
    shutil.copytree(saved["folder"], instance, symlinks=True)
    if database["backend"] == "postgresql":
        _reset_postgres(app, saved["rows"])
        _close_database(app)
    factory._seq = count(saved["seq"])


#: the sign-ins saved with the current test's world (see _start_sessions)
_CURRENT: dict[str, dict] = {"sign_ins": {}}


class AuthActions:
    """Log in and out through the real forms. The CSRF token is read from the page as a browser
    would, but only where the app checks it (fetching the form costs a full page otherwise)."""

    def __init__(self, client):
        self._client = client
        self._cookie_in_use: str | None = None  # the saved sign-in this browser holds, if any
        self._ended: set[str] = set()  # saved sign-ins a log-out ended (their rows are gone)

    def _token(self, path: str) -> dict:
        if not self._client.application.config.get("WTF_CSRF_ENABLED", True):
            # A browser would have shown the form, and with it any messages still waiting
            # (such as the last person's "欢迎回来，…"): drop them as that page would.
            with self._client.session_transaction() as session:
                session.pop("_flashes", None)
            return {}
        token = csrf_token(self._client, path)
        return {"csrf_token": token} if token else {}

    def login(self, email, password=PASSWORD, remember=False, follow=False):
        data = {"email": email, "password": password, **self._token("/auth/login")}
        if remember:
            data["remember"] = "y"
        return self._client.post("/auth/login", data=data, follow_redirects=follow)

    def logout(self):
        if self._cookie_in_use is not None:
            self._ended.add(self._cookie_in_use)
            self._cookie_in_use = None
        return self._client.post("/auth/logout", data=self._token("/"))

    def sign_in(self, email) -> None:
        """Be signed in as ``email``, as after a successful login with the default password,
        without posting the form: the session cookie of a sign-in saved with the world (in
        QUICK_SIGN_IN modules; elsewhere the real login)."""
        from flask_login.utils import _create_identifier

        cookie = _CURRENT["sign_ins"].get(email)
        if cookie is None or cookie in self._ended:
            response = self.login(email)
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
            return
        self._cookie_in_use = cookie
        with self._client.application.test_request_context():
            identifier = _create_identifier()  # what flask-login's session protection expects
        with self._client.session_transaction() as session:
            session.update({"_user_id": cookie, "_fresh": True, "_id": identifier})


def csrf_token(client, path: str) -> str | None:
    """Read the CSRF token from a rendered form, as a browser would."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    return match.group(1) if match else None


@pytest.fixture
def auth(client):
    return AuthActions(client)


def mail_messages(app) -> list[str]:
    """Messages written by the file mail backend, oldest first."""
    from email import message_from_bytes, policy

    folder = Path(app.config["MAIL_DIR"])
    if not folder.exists():
        return []
    out = []
    for path in sorted(folder.glob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        out.append(msg)
    return out


def pytest_terminal_summary(terminalreporter):
    """Time spent in tests (set-up + call + tear-down, summed over the workers) per backend, so
    that CI shows where its minutes go."""
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) not in ("setup", "call", "teardown"):
                continue
            node = report.nodeid
            group = ("browser (SQLite)" if node.startswith("tests/browser/") else
                     "PostgreSQL" if re.search(r"[\[-]postgresql[\]-]", node) else
                     "SQLite" if re.search(r"[\[-]sqlite[\]-]", node) else "no database")
            totals[group] = totals.get(group, 0.0) + report.duration
            if report.when == "call":
                counts[group] = counts.get(group, 0) + 1
    if totals:
        terminalreporter.write_sep("-", "time in tests per backend (summed over workers)")
        for group, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{group:<18} {counts.get(group, 0):>5} tests {seconds:8.1f} s")
