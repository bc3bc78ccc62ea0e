"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""
import sys

from portal import create_app
from portal.config import ConfigError
from portal.httpcache import ServerDate

try:
    app = create_app()
except ConfigError as exc:  # e.g. no secret key in production, an unknown search backend
    # One clear line for the operator (and exit status 1), not a traceback.
    sys.exit(f"错误 / Error: {exc}")

# The HTTP server (gunicorn, or Werkzeug's under `flask run`) writes the Date header itself.
app.wsgi_app = ServerDate(app.wsgi_app)
