"""Response headers that make the browser refuse inline scripts, framing and MIME sniffing."""
from flask import Flask

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def static_headers(config) -> list[tuple[str, str]]:
    """The headers every answer gets (also those the page cache serves without the app)."""
    found = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
             ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin")]
    if config["SESSION_COOKIE_SECURE"]:
        found.append(("Strict-Transport-Security", "max-age=31536000"))
    return found


def init_app(app: Flask) -> None:
    headers = static_headers(app.config)

    @app.after_request
    def set_security_headers(response):
        for name, value in headers:
            response.headers.setdefault(name, value)
        return response
