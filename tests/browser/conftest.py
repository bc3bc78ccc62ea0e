"""Fixtures for browser tests: a live server (CSRF on) and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium or the playwright package these tests are skipped; set
PORTAL_REQUIRE_BROWSER=1 (e.g. in CI) to turn that skip into a failure.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal.extensions import db as _db
from tests.conftest import Factory, make_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _no_browser(reason: str):
    if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"PORTAL_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set PORTAL_REQUIRE_BROWSER=1 to make this a failure)")


@dataclass
class LiveServer:
    url: str
    app: Flask

    def factory(self) -> Factory:
        return Factory(self.app)


@pytest.fixture
def live_server(database, tmp_path):
    """The real app on 127.0.0.1:<free port>, CSRF protection ON, served from a daemon thread."""
    if database["backend"] != "sqlite":
        pytest.skip("browser tests run against the SQLite backend only")
    app = make_app(database, tmp_path / "instance", WTF_CSRF_ENABLED=True)
    assert app.config["WTF_CSRF_ENABLED"] is True
    # Port 0: the OS hands out a free port, with no race between choosing and binding it.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (never a downloaded one), headless, shared by the session's tests."""
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _no_browser(f"the playwright package cannot be imported ({exc})")

    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                  args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            _no_browser(f"{CHROMIUM} could not be launched: {exc.message.splitlines()[0]}")
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def context(browser):
    """A fresh browser profile per test, in Chinese."""
    ctx = browser.new_context(locale="zh-CN")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()
