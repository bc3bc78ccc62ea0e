"""The secret key, as a new developer and an operator meet it.

- In production (no PORTAL_ENV) without a secret key, every `flask --app wsgi ...` command and
  the WSGI import stop with one clear line (Chinese and English) and exit status 1, no traceback.
- `make run` writes a development instance/config.py with a generated secret key when there is
  none (never overwriting one), so the README's commands (`db upgrade`, `search check`,
  `cases export`) then work as written, without PORTAL_ENV=development.

Commands run in a subprocess, from the project folder, with a clean environment and a temporary
instance folder, as a person would type them.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from portal.config import write_development_config

ROOT = Path(__file__).resolve().parent.parent


def _env(instance: Path, **extra) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(instance), "LANG": "C.UTF-8",
           "PORTAL_INSTANCE_DIR": str(instance), "PORTAL_SEARCH_SYNC": "off"}
    env.update(extra)
    return env


def flask(instance: Path, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=_env(instance, **extra), capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [["search", "check"], ["cases", "export"], ["db", "upgrade"]])
def test_a_missing_secret_key_in_production_is_one_clear_line(tmp_path, command):
    result = flask(tmp_path, *command)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误 / Error: PORTAL_SECRET_KEY 未设置")
    assert "Set PORTAL_SECRET_KEY" in lines[0] and "make run" in lines[0]
    assert result.stdout == ""


def test_make_run_writes_a_development_key_and_the_readme_commands_then_work(tmp_path):
    """What `make run` does before serving (read from `make -n run`), then the README's commands
    without PORTAL_ENV."""
    dry = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert dry.returncode == 0, dry.stderr
    steps = dry.stdout.splitlines()
    write_step = next(line for line in steps if "write_development_config" in line)
    serve_step = next(line for line in steps if line.endswith("--port 5000") and " run " in line)
    assert steps.index(write_step) < steps.index(serve_step)

    argv = shlex.split(write_step)
    assert argv[0] == ".venv/bin/python"
    written = subprocess.run([sys.executable, *argv[1:]], cwd=ROOT, env=_env(tmp_path),
                             capture_output=True, text=True, timeout=60)
    assert written.returncode == 0, written.stderr
    config = tmp_path / "config.py"
    assert f"Wrote {config}" in written.stdout
    assert "SECRET_KEY = '" in config.read_text(encoding="utf-8")
    assert config.stat().st_mode & 0o077 == 0  # readable by its owner only

    assert flask(tmp_path, "db", "upgrade").returncode == 0
    check = flask(tmp_path, "search", "check")
    assert check.returncode == 0, check.stderr
    assert "索引与数据库一致" in check.stdout
    export = flask(tmp_path, "cases", "export")
    assert (export.returncode, export.stdout) == (0, ""), export.stderr
    assert "Traceback" not in check.stderr + export.stderr


def test_an_existing_instance_config_is_never_overwritten(tmp_path):
    config = tmp_path / "config.py"
    config.write_text("SECRET_KEY = 'chosen-by-the-operator'\n", encoding="utf-8")

    assert write_development_config(tmp_path) is None
    assert config.read_text(encoding="utf-8") == "SECRET_KEY = 'chosen-by-the-operator'\n"

    fresh = tmp_path / "fresh"
    first = write_development_config(fresh)
    key = first.read_text(encoding="utf-8")
    assert write_development_config(fresh) is None and first.read_text(encoding="utf-8") == key
    assert write_development_config(tmp_path / "other").read_text(encoding="utf-8") != key  # generated each time
