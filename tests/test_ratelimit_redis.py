"""With Redis as the limiter's storage (as in production), limits are shared across app instances
(standing in for gunicorn workers). Runs when TEST_REDIS_URL is set; CI sets it."""

import pytest

from portal.extensions import limiter
from tests.conftest import REDIS_URL, make_app

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")


def test_failed_logins_are_counted_across_workers(database, tmp_path):
    config = {"WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": REDIS_URL, "LOGIN_RATE_LIMIT": "4 per minute",
              "LOGIN_ACCOUNT_RATE_LIMIT": "100 per minute"}
    worker_a = make_app(database, tmp_path / "a", **config).test_client()
    worker_b = make_app(database, tmp_path / "b", **config).test_client()
    # REDIS_URL's database is this test process's own (conftest): start from no counts (the other backend's
    # run of this test may have counted the same address less than a minute ago). A per-test
    # RATELIMIT_KEY_PREFIX cannot do this: the limiter keeps the prefix of the first app.
    limiter.reset()
    bad = {"email": "a@example.org", "password": "wrong-password-1"}
    for client in (worker_a, worker_b, worker_a, worker_b):
        assert client.post("/auth/login", data=bad).status_code == 422
    assert worker_a.post("/auth/login", data=bad).status_code == 429
    assert worker_b.post("/auth/login", data=bad).status_code == 429


def test_failed_logins_per_account_are_counted_across_workers(database, tmp_path):
    config = {"WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": REDIS_URL, "LOGIN_RATE_LIMIT": "100 per minute",
              "LOGIN_ACCOUNT_RATE_LIMIT": "2 per minute"}
    worker_a = make_app(database, tmp_path / "a", **config).test_client()
    worker_b = make_app(database, tmp_path / "b", **config).test_client()
    limiter.reset()
    bad = {"email": "a@example.org", "password": "wrong-password-1"}
    assert worker_a.post("/auth/login", data=bad, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 422
    assert worker_b.post("/auth/login", data=bad, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 422
    response = worker_a.post("/auth/login", data=bad, environ_base={"REMOTE_ADDR": "10.0.0.3"})
    assert response.status_code == 429 and "已暂时锁定" in response.get_data(as_text=True)
