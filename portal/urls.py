from urllib.parse import urlsplit


def safe_next_url(target: str | None) -> str | None:
    """Accept only same-site relative paths as a post-login redirect target."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def site_path(endpoint: str, **values) -> str:
    """The path of a page, inside a request or not (services notify from CLI commands and
    demo seeding too, where url_for() has no request to build against)."""
    from flask import current_app, has_request_context, url_for

    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)
