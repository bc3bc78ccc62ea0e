"""Case page views with stored HTML (portal.rendering) against rendering Markdown on every view.

    PYTHONPATH=. .venv/bin/python bench/rendered_html.py [--views 200] [--round 25]

One process, a temporary SQLite database with the demo data; the demo case with the longest
sections is viewed anonymously through the test client. "render" swaps the ``rendered`` template
filter for one that renders and cleans the Markdown on every call (what ``|markdown`` did before);
"stored" is the filter as shipped. Rounds of each alternate, so both see the same machine state.
Prints per mode the median and mean time of a view and the time spent in render_markdown.

Two runs on 2026-12-02 (2-core machine shared with other jobs, load average 3-5; demo data, so
the similar-cases box is cheap here, unlike at 2,000 cases):

    stored  median   82.16 ms   mean   88.97 ms   render_markdown   0.00 ms/view
    render  median  137.37 ms   mean  145.76 ms   render_markdown  38.63 ms/view
    render/stored (median): 1.67x

    stored  median  126.40 ms   mean  124.13 ms   render_markdown   0.00 ms/view
    render  median  176.40 ms   mean  174.02 ms   render_markdown  46.68 ms/view
    render/stored (median): 1.40x

One render_markdown call on a 300-character section took 7-10 ms under this load: Markdown about
2 ms, bleach's clean and linkify 2.5-4.5 ms each.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--views", type=int, default=200, help="views per mode")
    parser.add_argument("--round", type=int, default=25, help="views per round before switching mode")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from portal import create_app, rendering
    from portal import text as portal_text
    from portal.cases.models import Case, CaseStatus
    from portal.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="bench-rendered-"))
    app = create_app({"INSTANCE_DIR": str(folder), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                      "SECRET_KEY": "bench", "SEARCH_SYNC": "inline", "RATELIMIT_ENABLED": False})
    with app.app_context():
        from flask_migrate import upgrade

        from portal.demo import seed_demo

        upgrade()
        seed_demo()
        db.session.commit()
        length = sum(func.length(getattr(Case, name)) for name in ("background", "approach", "outcomes",
                                                                   "lessons", "problems"))
        case_id, chars = db.session.execute(select(Case.id, length).where(Case.status == CaseStatus.PUBLISHED)
                                            .order_by(length.desc()).limit(1)).one()

    spent = [0.0]
    original = portal_text.render_markdown

    def timed_render(source):
        start = time.perf_counter()
        try:
            return original(source)
        finally:
            spent[0] += time.perf_counter() - start

    rendering.render_markdown = timed_render  # the filter's fallback and the "render" mode both count
    modes = {"stored": rendering.stored_html,
             "render": lambda obj, field: timed_render(getattr(obj, field))}
    client = app.test_client()
    url = f"/cases/{case_id}"
    for fn in modes.values():  # warm up both
        app.jinja_env.filters["rendered"] = fn
        for _ in range(10):
            assert client.get(url).status_code == 200
    times: dict[str, list[float]] = {name: [] for name in modes}
    markdown_time = dict.fromkeys(modes, 0.0)
    while min(len(t) for t in times.values()) < args.views:
        for name, fn in modes.items():
            app.jinja_env.filters["rendered"] = fn
            spent[0] = 0.0
            for _ in range(args.round):
                start = time.perf_counter()
                client.get(url)
                times[name].append(time.perf_counter() - start)
            markdown_time[name] += spent[0]

    print(f"case {case_id} ({chars} characters of Markdown in its sections), {args.views} views per mode, "
          f"rounds of {args.round}, alternating")
    for name in modes:
        t = times[name]
        print(f"  {name:<7} median {statistics.median(t) * 1000:7.2f} ms   mean {statistics.fmean(t) * 1000:7.2f} ms"
              f"   render_markdown {markdown_time[name] / len(t) * 1000:6.2f} ms/view")
    ratio = statistics.median(times["render"]) / statistics.median(times["stored"])
    print(f"  render/stored (median): {ratio:.2f}x")


if __name__ == "__main__":
    main()
