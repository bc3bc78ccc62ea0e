"""Choosing the search backend, and keeping Whoosh behind it.

- SEARCH_BACKEND (or PORTAL_SEARCH_BACKEND) picks the implementation, Whoosh by default; an
  unknown name stops every `flask` command and the server with one clear line.
- No module outside portal/search/whoosh/ imports Whoosh or that package, so a second backend
  needs no change to any caller. The few exceptions are listed with their reason.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from portal.config import load_environment
from portal.search.backend import get_backend
from tests import search_memory
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent

#: Files outside portal/search/whoosh/ that may import it (or Whoosh itself), and why.
ALLOWED = {
    "portal/search/analysis.py": "resolves the Whoosh tokenizer classes' old names for indexes whose pickled schema names them there",
    "tests/test_search_whoosh.py": "the Whoosh backend's own tests (directory swap, segment word list, old indexes)",
    "bench/search_bench.py": "measures the Whoosh backend: writer settings, segments, opening a searcher",
    "bench/baseline_query.py": "a snapshot of the search code before the benchmark work, for --compare",
    "bench/baseline_schema.py": "the index layout before the benchmark work, for --compare",
}


def _whoosh_imports(path: Path, root: Path = ROOT) -> list[str]:
    """The modules a file imports (at any depth, deferred imports included) that are Whoosh or
    the Whoosh backend."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: from the file's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [n for n in names if n == "whoosh" or n.startswith(("whoosh.", "portal.search.whoosh"))]
    return found


def _python_files() -> list[Path]:
    files = [ROOT / "wsgi.py"]
    for folder in ("portal", "tests", "bench"):
        files += sorted((ROOT / folder).rglob("*.py"))
    backend = ROOT / "portal" / "search" / "whoosh"
    return [f for f in files if backend not in f.parents]


def test_nothing_outside_the_whoosh_package_imports_whoosh():
    offenders = {}
    for path in _python_files():
        name = path.relative_to(ROOT).as_posix()
        imports = _whoosh_imports(path)
        if imports and name not in ALLOWED:
            offenders[name] = sorted(set(imports))
    assert offenders == {}, "import portal.search.service / backend instead"


def test_the_listed_exceptions_still_need_to_be_exceptions():
    for name in ALLOWED:
        assert _whoosh_imports(ROOT / name), f"{name} no longer imports Whoosh: drop it from ALLOWED"


def test_the_scan_sees_deferred_and_relative_imports(tmp_path):
    sample = tmp_path / "portal" / "search" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("def f():\n    from .whoosh import index\n    import whoosh.query\n    import portal.searching\n")
    assert sorted(set(_whoosh_imports(sample, root=tmp_path))) == [
        "portal.search.whoosh", "portal.search.whoosh.index", "whoosh.query"]


# Choosing the backend ---------------------------------------------------------------------------

def test_the_backend_comes_from_config_or_environment_and_defaults_to_whoosh(database, tmp_path, monkeypatch):
    assert load_environment({"PORTAL_SEARCH_BACKEND": "memory"}) == {"SEARCH_BACKEND": "memory"}

    monkeypatch.delenv("PORTAL_SEARCH_BACKEND", raising=False)
    app = make_app(database, tmp_path / "default")
    assert app.config["SEARCH_BACKEND"] == "whoosh"
    assert get_backend(app).name == "whoosh"

    monkeypatch.setenv("PORTAL_SEARCH_BACKEND", "memory")
    app = make_app(database, tmp_path / "from-env")
    assert isinstance(get_backend(app), search_memory.MemoryBackend)


def test_an_unknown_backend_is_one_clear_line_and_exit_status_1(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "PORTAL_INSTANCE_DIR": str(tmp_path), "PORTAL_SEARCH_SYNC": "off", "PORTAL_SECRET_KEY": "test-secret-key",
           "PORTAL_SEARCH_BACKEND": "elasticsearch"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "search", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误 / Error: 未知的搜索后端 SEARCH_BACKEND='elasticsearch'")
    assert "PORTAL_SEARCH_BACKEND" in lines[0] and "whoosh" in lines[0]
    assert result.stdout == ""
