"""Events (with their phases) and series."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.admin import audit
from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models_base import loader_options
from portal.sessions.models import AgendaItem, Event, Series, SharingSession
from portal.sessions.services.common import MAX_DESCRIPTION, _require_manager, _text, _themes

# Events -----------------------------------------------------------------------------------------

@dataclass
class EventData:
    title: str
    organizer: str = ""
    co_organizers: str = ""  # one per line
    description: str = ""   # Markdown
    theme_ids: list[int] = field(default_factory=list)


def _apply_event(event: Event, data: EventData) -> None:
    event.title = _text(data.title, 150, "title", _("活动名称"), required=True)
    event.organizer = _text(data.organizer, 200, "organizer", _("主办单位"))
    lines = [line.strip() for line in (data.co_organizers or "").replace("\r", "\n").split("\n") if line.strip()]
    event.co_organizers = _text("\n".join(dict.fromkeys(lines)), 500, "co_organizers", _("协办单位"))
    event.description = _text(data.description, MAX_DESCRIPTION, "description", _("活动介绍"))
    event.themes = _themes(data.theme_ids, list(event.themes))


def create_event(actor, data: EventData) -> Event:
    _require_manager(actor)
    event = Event()
    _apply_event(event, data)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "session.event_create", event, event.title)
    return event


def update_event(actor, event: Event, data: EventData) -> Event:
    _require_manager(actor)
    _apply_event(event, data)
    db.session.flush()
    audit.record(actor, "session.event_update", event, event.title)
    return event


@loader_options
def page_options() -> tuple:
    """What the event page shows, one query per kind: its themes and its phases with their
    attending units and running orders (each item's case)."""
    from portal.cases.services import card_options

    return (selectinload(Event.themes),
            selectinload(Event.sessions).options(
                selectinload(SharingSession.organizations),
                selectinload(SharingSession.agenda).joinedload(AgendaItem.case).options(
                    *card_options(themes=False, org=False, strict=False))))


def get_event(event_id: int, *, page: bool = False) -> Event:
    """The event (``page``: with what its page shows loaded, see :func:`page_options`)."""
    event = db.session.get(Event, event_id, options=page_options() if page else None)
    if event is None:
        raise NotFound(_("未找到该活动。"))
    return event


def all_events() -> list[Event]:
    return list(db.session.scalars(select(Event).options(selectinload(Event.sessions))
                                   .order_by(Event.created_at.desc(), Event.id.desc())))


def co_organizer_list(event: Event) -> list[str]:
    return [line for line in (event.co_organizers or "").split("\n") if line.strip()]


# Series -----------------------------------------------------------------------------------------

@dataclass
class SeriesData:
    title: str
    description: str = ""


def _apply_series(series: Series, data: SeriesData) -> None:
    title = _text(data.title, 150, "title", _("系列名称"), required=True)
    clash = db.session.scalar(select(Series).where(Series.title == title))
    if clash is not None and clash is not series:
        raise ValidationError(_("已有同名系列。"), "title")
    series.title = title
    series.description = _text(data.description, MAX_DESCRIPTION, "description", _("系列介绍"))


def create_series(actor, data: SeriesData) -> Series:
    _require_manager(actor)
    series = Series()
    _apply_series(series, data)
    db.session.add(series)
    db.session.flush()
    audit.record(actor, "session.series_create", series, series.title)
    return series


def update_series(actor, series: Series, data: SeriesData) -> Series:
    _require_manager(actor)
    _apply_series(series, data)
    db.session.flush()
    audit.record(actor, "session.series_update", series, series.title)
    return series


def get_series(series_id: int) -> Series:
    """A series with its sessions loaded for their cards."""
    from portal.sessions.services.listings import card_options

    series = db.session.get(Series, series_id, options=[selectinload(Series.sessions).options(*card_options())])
    if series is None:
        raise NotFound(_("未找到该系列。"))
    return series


def all_series() -> list[Series]:
    return list(db.session.scalars(select(Series).order_by(Series.title)))


def next_series_number(series: Series) -> int:
    return (db.session.scalar(select(func.max(SharingSession.series_number))
                              .where(SharingSession.series_id == series.id)) or 0) + 1
