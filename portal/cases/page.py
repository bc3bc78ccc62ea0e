"""The case page, and what other features add to it without the cases package importing them.

:func:`render_case_page` renders it: for ``cases.show``, and for a feature view that re-renders
the page after refusing one of its forms. When its blueprint is registered on the app
(``bp.record_once``), a feature registers:

* a **panel**, a section below the case text: ``build(case, user)`` returns the variables of the
  feature's own partial template, or ``None`` when the panel has nothing for this user. Optionally
  ``toc(context)`` returns the label of the panel's entry in the table of contents (``None``: no
  entry), linking to ``#anchor``; and ``summary`` names a partial rendered with the same context
  into the summary block under the title. Both reuse what ``build`` computed: no extra queries.
  With ``has(case_id)``, an SQL ``EXISTS`` that is true when the case has anything the panel
  lists, the page asks every panel's question in one query first and calls
  ``build(case, user, listed=False)`` for a panel whose answer is no: it skips its own queries
  (what it offers the user, a form say, stays). Most cases have no comments, sessions, awards or
  adoption reports, and each empty list had cost its page a query;
* an **action**, a button in the page header: ``build(case, user)`` returns a :class:`CaseAction`
  or ``None``.

Panels and actions are shown in ascending ``order``. Registrations live on the app, so each app
the factory builds has its own.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Flask, current_app, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, select

from portal import permissions
from portal.cases import services
from portal.cases.forms import TransitionForm
from portal.extensions import db
from portal.forms import ActionForm, LazyForm

PanelBuilder = Callable[..., dict | None]


@dataclass(frozen=True)
class _Panel:
    name: str
    order: int
    template: str
    build: PanelBuilder
    anchor: str | None = None
    toc: Callable[[dict], str | None] | None = None
    summary: str | None = None
    has: Callable[..., object] | None = None


@dataclass(frozen=True)
class PanelParts:
    """One panel as the case page shows it: its section, its table-of-contents entry, its summary."""
    html: Markup
    toc: tuple[str, str] | None
    summary: Markup | None

    def __html__(self) -> str:
        return self.html


@dataclass(frozen=True)
class CaseAction:
    """A link in the case page header, e.g. "推荐到分享会"."""
    label: str
    url: str


@dataclass(frozen=True)
class _Action:
    name: str
    order: int
    build: Callable[..., CaseAction | None]


def _registry(app: Flask) -> dict:
    return app.extensions.setdefault("case_page", {"panels": {}, "actions": {}})


def register_panel(app: Flask, name: str, *, order: int, template: str, build: PanelBuilder,
                   anchor: str | None = None, toc: Callable[[dict], str | None] | None = None,
                   summary: str | None = None, has: Callable[..., object] | None = None) -> None:
    """Show ``template`` on case pages, rendered with ``case`` and what ``build(case, user)`` returns;
    with ``anchor`` and ``toc`` an entry in the table of contents, with ``summary`` a partial in the
    summary block (both given the same context); with ``has``, ``build`` also takes ``listed``
    (see the module's docstring)."""
    panels = _registry(app)["panels"]
    if name in panels:
        raise ValueError(f"case page panel {name!r} is already registered")
    if (anchor is None) != (toc is None):
        raise ValueError("a case page panel's table-of-contents entry needs both anchor and toc")
    panels[name] = _Panel(name, order, template, build, anchor, toc, summary, has)


def register_action(app: Flask, name: str, *, order: int, build: Callable[..., CaseAction | None]) -> None:
    """Show the :class:`CaseAction` that ``build(case, user)`` returns in the case page header."""
    actions = _registry(app)["actions"]
    if name in actions:
        raise ValueError(f"case page action {name!r} is already registered")
    actions[name] = _Action(name, order, build)


def render_case_page(case, forms: Mapping[str, Mapping[str, object]] | None = None) -> str:
    """The case page for the current user.

    ``forms`` (panel name -> template variable -> form) puts back the forms a refused POST
    re-renders with what was typed and why it was refused; see :func:`_panels`."""
    return render_template("cases/show.html", case=case, actions=services.allowed_actions(current_user, case),
                           transition_form=LazyForm(TransitionForm, formdata=None),
                           action_form=LazyForm(ActionForm, formdata=None),
                           hide_unit=(hide_unit := permissions.is_unit_hidden_from(current_user, case)),
                           citation=services.citation(case) if case.is_published and not hide_unit else None,
                           header_actions=_header_actions(case, current_user), similar=_similar(case),
                           panels=_panels(case, current_user, forms))


def _panels(case, user, forms: Mapping[str, Mapping[str, object]] | None = None) -> list[PanelParts]:
    """The panels this user sees on the case page, rendered in order. A form in ``forms`` only
    replaces one the panel shows itself, so it never appears for a user who would not see it."""
    registered = _registry(current_app)["panels"]
    unknown = set(forms or {}) - set(registered)
    if unknown:
        raise ValueError(f"no case page panel named {', '.join(sorted(unknown))}")
    listed = _listed(case, registered.values())
    render = _partials(case)
    out = []
    for panel in sorted(registered.values(), key=lambda p: (p.order, p.name)):
        context = panel.build(case, user, listed=listed[panel.name]) if panel.name in listed else panel.build(case, user)
        if context is None:
            continue
        for key, form in (forms or {}).get(panel.name, {}).items():
            if context.get(key) is not None:
                context[key] = form
        label = panel.toc(context) if panel.toc else None
        summary = (render(panel.summary, context).strip() or None) if panel.summary else None
        out.append(PanelParts(render(panel.template, context), (panel.anchor, label) if label else None, summary))
    return out


def _partials(case) -> Callable[[str, dict], Markup]:
    """Renders the panels' partial templates with ``case`` and one shared template context.
    Flask's render_template runs every context processor again on each call (about 60 µs), and
    a case with every kind of list renders a dozen partials."""
    shared: dict = {}
    current_app.update_template_context(shared)
    env = current_app.jinja_env

    def render(name: str, context: dict) -> Markup:
        return Markup(env.get_template(name).render({**shared, "case": case, **context}))

    return render


def _listed(case, panels) -> dict[str, bool]:
    """Panel name -> whether the case has anything that panel lists, for the panels that can
    tell (``has``), in one query."""
    asking = [p for p in panels if p.has is not None]
    if not asking or case.id is None:
        return {p.name: True for p in asking}  # nothing saved to ask about: each panel looks itself
    registry = _registry(current_app)
    key = tuple(p.name for p in asking)
    if registry.get("listed", (None,))[0] != key:  # built once (see models_base.statement)
        registry["listed"] = (key, select(*(p.has(bindparam("case_id")).label(f"has_{i}")
                                            for i, p in enumerate(asking))))
    row = db.session.execute(registry["listed"][1], {"case_id": case.id}).one()
    return {p.name: bool(answer) for p, answer in zip(asking, row, strict=True)}


def _header_actions(case, user) -> list[CaseAction]:
    """The registered header actions this user may take on the case, in order."""
    actions = sorted(_registry(current_app)["actions"].values(), key=lambda a: (a.order, a.name))
    return [action for a in actions if (action := a.build(case, user)) is not None]


SIMILAR_SHOWN = 5
#: Asked for beyond what is shown, so that a case unpublished since the list was computed (it
#: leaves the index, and the cached list, a moment later) still leaves the box full.
SIMILAR_SPARE = 3


def _similar(case) -> list:
    """Similar published cases from the search index (their ids cached per case until the index
    changes); only those published right now are shown, with their current titles. The page
    still works if the index is unavailable."""
    if not case.is_published:
        return []
    from portal.search import service

    try:
        ids = service.similar_ids(case.id, SIMILAR_SHOWN + SIMILAR_SPARE)
    except Exception:  # an index problem must not break the case page
        current_app.logger.exception("similar cases unavailable for case %s", case.id)
        return []
    return services.published_links(ids)[:SIMILAR_SHOWN]
