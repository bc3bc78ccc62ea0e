"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""
import sys

from portal import create_app
from portal.config import MissingSecretKey

try:
    app = create_app()
except MissingSecretKey as exc:
    # One clear line for the operator (and exit status 1), not a traceback.
    sys.exit(f"错误 / Error: {exc}")
