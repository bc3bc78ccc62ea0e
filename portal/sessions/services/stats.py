"""The numbers shown for a session and an event."""
from __future__ import annotations

from portal.sessions.models import AgendaKind, Event, SharingSession

# Numbers ----------------------------------------------------------------------------------------

def cases_presented(session: SharingSession) -> int:
    return sum(1 for item in session.agenda if item.kind == AgendaKind.CASE and item.case_id)


def session_numbers(session: SharingSession) -> dict:
    """participants / provinces / orgs as recorded when closing (None: not recorded), cases
    presented counted from the running order."""
    return {"participants": session.participants, "provinces": session.provinces_count,
            "orgs": session.orgs_count, "cases": cases_presented(session)}


def event_numbers(event: Event) -> dict:
    """Over the event's phases: participants and cases presented are summed (participants are
    person-times: someone at both phases counts twice); provinces and organizations are the
    largest figure of any phase (the same provinces and units usually attend every phase, so a
    sum would overstate them) — or, for organizations, the number of distinct linked attending
    units when that is larger. None when no phase recorded the figure."""
    phases = list(event.sessions)

    def recorded(name):
        return [getattr(s, name) for s in phases if getattr(s, name) is not None]

    participants, provinces, orgs = recorded("participants"), recorded("provinces_count"), recorded("orgs_count")
    distinct_orgs = len({o.id for s in phases for o in s.organizations})
    org_figure = max(orgs + ([distinct_orgs] if distinct_orgs else []), default=None)
    return {"participants": sum(participants) if participants else None,
            "provinces": max(provinces) if provinces else None,
            "orgs": org_figure,
            "cases": sum(cases_presented(s) for s in phases),
            "phases": len(phases)}
