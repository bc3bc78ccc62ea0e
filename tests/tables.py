"""Permission tables: each row is a request, each column what a person in that role gets back.

    OK       200, the page is shown
    DONE     302 (not to the login page), a success message, and the row's change is in the database
    KEPT     302 (not to the login page), an error message, and nothing changed in the database
    LOGIN    302 to /auth/login
    DENY     403, the Chinese "无权访问" page
    HIDE     404, the Chinese "未找到" page (what a person may not see does not leak)
    REFUSED  422, the same form again with an error message, and nothing changed

The table modules (test_case_permissions, test_discussion, test_sessions, ...) share these
outcomes, the row builder and the response check; each keeps its own world and state reader.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

OK, DONE, KEPT, LOGIN, DENY, HIDE, REFUSED = 200, "DONE", "KEPT", "LOGIN", 403, 404, "REFUSED"


def table_row(roles, method, path, *expected, data=None, effect=None, effect_required=True):
    """One request against every role: ``pytest.param(method, path, data, {role: outcome}, effect)``.
    A row with a DONE cell must say what it changes (``effect``) unless ``effect_required`` is off."""
    assert len(expected) == len(roles), path
    if effect_required and DONE in expected:
        assert effect is not None, path
    return pytest.param(method, path, data or {}, dict(zip(roles, expected, strict=True)), effect,
                        id=f"{method} {path}")


def assert_status_page(response, page: str, expected: int) -> None:
    """The expected status, and for 403/404 the Chinese page."""
    assert response.status_code == expected, page[:500]
    if expected == 403:
        assert "无权访问" in page
    elif expected == 404:
        assert "未找到" in page


def check_outcome(client, response, expected, *, done_prefix: str = "") -> None:
    """Assert that ``response`` is the table's ``expected`` outcome (follows a redirect to read
    its message). ``done_prefix``: where a DONE/KEPT must lead, when a table cares."""
    page = response.get_data().decode("utf-8", "replace")
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == LOGIN:
        assert (response.status_code, location) == (302, "/auth/login")
    elif expected in (DONE, KEPT):
        assert response.status_code == 302, page[:800]
        assert location and location != "/auth/login"
        assert location.startswith(done_prefix), location
        follow = client.get(location).get_data(as_text=True)
        assert ("flash-success" if expected == DONE else "flash-error") in follow
    elif expected == REFUSED:
        assert response.status_code == 422, page[:800]
        assert 'class="error"' in page or "flash-error" in page
    else:
        assert_status_page(response, page, expected)
