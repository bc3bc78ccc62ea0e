"""The site with three probe pages added, to show what one SQL statement costs a page
(``bench/pages/run.py --floor``).

``/_floor/static`` renders the about page's template and reads nothing; ``/_floor/one`` first
reads one case by primary key (one short statement, plus the transaction it opens); and
``/_floor/three`` reads three. Everything else (session, hooks, headers) is the site's own, so
the differences between the three are the price of the database alone.
"""
from flask import render_template

from portal.cases.models import Case
from portal.extensions import db
from wsgi import app


def _page(reads: int):
    for case_id in range(1, reads + 1):
        db.session.get(Case, case_id)
    return render_template("main/about.html")


app.add_url_rule("/_floor/static", "floor_static", lambda: _page(0))
app.add_url_rule("/_floor/one", "floor_one", lambda: _page(1))
app.add_url_rule("/_floor/three", "floor_three", lambda: _page(3))
