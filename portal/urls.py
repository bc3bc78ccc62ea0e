from urllib.parse import urlsplit


def safe_next_url(target: str | None) -> str | None:
    """Accept only same-site relative paths as a post-login redirect target."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
