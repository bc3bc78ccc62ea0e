"""The yardstick: a Flask hello-world served by the same gunicorn as the site (bench/pages/run.py)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
