"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""
import sys

from portal import create_app
from portal.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # e.g. no secret key in production, an unknown search backend
    # One clear line for the operator (and exit status 1), not a traceback.
    sys.exit(f"错误 / Error: {exc}")
