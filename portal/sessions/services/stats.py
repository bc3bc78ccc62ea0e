"""The numbers shown for a session and an event."""
from __future__ import annotations

from dataclasses import dataclass, field

from portal.sessions.models import AgendaKind, Event, SharingSession
from portal.sessions.services.times import phase_label

# Numbers ----------------------------------------------------------------------------------------

def cases_presented(session: SharingSession) -> int:
    return sum(1 for item in session.agenda if item.kind == AgendaKind.CASE and item.case_id)


def session_numbers(session: SharingSession) -> dict:
    """participants / provinces / orgs as recorded when closing (None: not recorded), cases
    presented counted from the running order."""
    return {"participants": session.participants, "provinces": session.provinces_count,
            "orgs": session.orgs_count, "cases": cases_presented(session)}


@dataclass
class PhaseValue:
    label: str                  # 第一阶段 ...
    session: SharingSession
    value: int | None           # None: not recorded for this phase


@dataclass
class EventFigure:
    """One figure of an event over its phases. ``total`` is set only when every phase has the
    figure: a sum over the phases that happen to have it would pass off a part as the whole, so
    then the page shows the phases' own figures (``known``) and no total."""

    key: str                    # participants / provinces / orgs / cases
    total: int | None
    phases: list[PhaseValue] = field(default_factory=list)

    @property
    def known(self) -> list[PhaseValue]:
        return [p for p in self.phases if p.value is not None]

    @property
    def missing(self) -> list[PhaseValue]:
        return [p for p in self.phases if p.value is None]


def combine(values: list[int | None], how=sum) -> int | None:
    """The event's figure from its phases' figures: None unless every phase has one (and there
    is at least one phase)."""
    if not values or any(v is None for v in values):
        return None
    return how(values)


def event_figures(event: Event) -> dict[str, EventFigure]:
    """Participants and cases presented are summed over the phases (participants are
    person-times: someone at both phases counts twice); provinces and organizations take the
    largest phase's figure (the same provinces and units usually attend every phase, so a sum
    would overstate them) — for organizations the number of distinct linked attending units when
    that is larger. Each only when every phase recorded it (cases always are: they are counted
    from the running order)."""
    phases = list(event.sessions)
    labels = [phase_label(n) for n in range(1, len(phases) + 1)]

    def figure(key: str, values: list[int | None], how=sum, extra: int | None = None) -> EventFigure:
        total = combine(values, how)
        if total is not None and extra:
            total = max(total, extra)
        return EventFigure(key, total, [PhaseValue(label, s, v) for label, s, v in zip(labels, phases, values)])

    distinct_orgs = len({o.id for s in phases for o in s.organizations})
    return {
        "participants": figure("participants", [s.participants for s in phases]),
        "provinces": figure("provinces", [s.provinces_count for s in phases], max),
        "orgs": figure("orgs", [s.orgs_count for s in phases], max, extra=distinct_orgs),
        "cases": figure("cases", [cases_presented(s) for s in phases]),
    }


def event_numbers(event: Event) -> dict:
    """The event's totals (None where some phase lacks the figure, see :func:`event_figures`)
    and its number of phases."""
    figures = event_figures(event)
    return {**{key: f.total for key, f in figures.items()}, "phases": len(event.sessions)}
