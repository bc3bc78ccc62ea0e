"""Reliving a session: its running order as a timetable (clock times, the recording at each
item), the cases before and after a presented case, and an event's cases phase by phase."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from portal import permissions
from portal.sessions.models import AgendaItem, AgendaKind, Event, SharingSession
from portal.sessions.services.agenda import case_items_of, ordered_agenda, sessions_presenting
from portal.sessions.services.times import phase_label, watch_url
from portal.timezones import as_shanghai, utc_to_shanghai

# Clock times ------------------------------------------------------------------------------------

def clock_times(session: SharingSession, items: list[AgendaItem] | None = None
                ) -> list[tuple[AgendaItem, datetime | None, datetime | None]]:
    """(item, start, end) in running order, naive UTC like the stored times. An item starts at
    the session's start plus the durations of the items before it and ends its own duration
    later. From the first item without a duration on, the following items have no start (their
    place in the day is unknown); nothing has a time when the session has no start."""
    items = ordered_agenda(session) if items is None else items
    clock = session.starts_at
    out = []
    for item in items:
        start = clock
        end = start + timedelta(minutes=item.duration_minutes) if start is not None and item.duration_minutes else None
        out.append((item, start, end))
        clock = end
    return out


def _hhmm(value: datetime | None) -> str:
    return utc_to_shanghai(value).strftime("%H:%M") if value is not None else ""


def _iso(value: datetime | None) -> str:
    return as_shanghai(value).isoformat() if value is not None else ""


# Neighbouring cases -----------------------------------------------------------------------------

def _presented_cases(user, items: list[AgendaItem]) -> list[AgendaItem]:
    """The case items the user may open, in running order."""
    return [i for i in items if i.kind == AgendaKind.CASE and i.case is not None
            and permissions.can_view_case(user, i.case)]


def case_neighbours(user, items: list[AgendaItem]) -> dict[int, tuple[AgendaItem | None, AgendaItem | None]]:
    """For each case item of a running order (``items`` in order): the case items just before and
    after it, skipping talks and cases the user may not open. Keyed by item id."""
    cases = _presented_cases(user, items)
    return {item.id: (cases[n - 1] if n > 0 else None, cases[n + 1] if n + 1 < len(cases) else None)
            for n, item in enumerate(cases)}


# The timetable ----------------------------------------------------------------------------------

@dataclass
class Slot:
    item: AgendaItem
    starts_at: datetime | None  # naive UTC
    ends_at: datetime | None
    watch_url: str = ""         # the recording at this item's offset
    previous_case: AgendaItem | None = None
    next_case: AgendaItem | None = None

    @property
    def start_label(self) -> str:
        """"14:20", Beijing time ("" when unknown)."""
        return _hhmm(self.starts_at)

    @property
    def end_label(self) -> str:
        return _hhmm(self.ends_at)

    @property
    def start_iso(self) -> str:
        return _iso(self.starts_at)

    @property
    def end_iso(self) -> str:
        return _iso(self.ends_at)


def timetable(user, session: SharingSession) -> list[Slot]:
    """The session page's running order: each item with its clock times, its link into the
    recording and, for a presented case, the previous and next case of the session."""
    items = ordered_agenda(session)
    neighbours = case_neighbours(user, items)
    return [Slot(item, start, end, watch_url(session, item), *neighbours.get(item.id, (None, None)))
            for item, start, end in clock_times(session, items)]


def case_on_agenda(case_id):
    """For the case page (cases.page): whether any session's running order names the case."""
    return select(AgendaItem.id).where(AgendaItem.case_id == case_id).exists()


def case_sessions_panel(user, case, *, listed: bool = True) -> dict:
    """Template variables for the case page: the sessions where the case was presented and, in
    each, the cases presented just before and after it (``listed=False``: on no agenda)."""
    if case is None or case.id is None or not listed:
        return {"case_sessions": [], "case_neighbours": {}}
    items = sessions_presenting(case)
    running_orders = case_items_of({item.session_id for item in items})
    neighbours = {item.id: case_neighbours(user, running_orders[item.session_id]).get(item.id, (None, None))
                  for item in items}
    return {"case_sessions": items, "case_neighbours": neighbours}


# An event's cases -------------------------------------------------------------------------------

@dataclass
class EventPhase:
    label: str                 # 第一阶段 ...
    session: SharingSession
    cases: list[AgendaItem]    # the case items, in running order


def event_phases(event: Event) -> list[EventPhase]:
    """Every phase of the event (by date) with the cases presented in it, in running order.
    Items keep their title when the case is no longer public; the page links only the cases the
    reader may open."""
    return [EventPhase(phase_label(n), s, [i for i in ordered_agenda(s) if i.kind == AgendaKind.CASE and i.case_id])
            for n, s in enumerate(event.sessions, start=1)]
