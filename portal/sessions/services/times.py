"""Times and numbers: aware times to stored UTC, Chinese numerals, series labels, recording offsets
(the Asia/Shanghai conversions live in :mod:`portal.timezones`)."""
from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask_babel import gettext as _

from portal.errors import ValidationError
from portal.sessions.models import AgendaItem, SharingSession
from portal.sessions.services.common import MAX_OFFSET_SECONDS

# Times and numbers -----------------------------------------------------------------------------

def _as_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 25 -> 二十五, 100 -> 一百; digits beyond 999, and digits
    when the page is not in Chinese (第%(n)s期 becomes "No. 2", not "No. 二")."""
    from flask_babel import get_locale

    locale = get_locale()
    if n <= 0 or n > 999 or (locale is not None and locale.language != "zh"):
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            return out + "零" + _DIGITS[ones]
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        out += _DIGITS[ones]
    return out


def series_label(number: int | None) -> str:
    """第一期, 第二期 ... (empty without a number)."""
    return _("第%(n)s期", n=chinese_number(number)) if number else ""


def phase_label(number: int) -> str:
    """第一阶段, 第二阶段 ... (an event's phases in date order, 1-based)."""
    return _("第%(n)s阶段", n=chinese_number(number))


def parse_offset(value) -> int | None:
    """A recording offset: seconds (int), "" / None, "mm:ss" or "h:mm:ss" -> seconds."""
    if value is None:
        return None
    if isinstance(value, int):
        seconds = value
    else:
        text = str(value).strip().replace("：", ":")
        if not text:
            return None
        parts = text.split(":")
        if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ValidationError(_("录像时间点请写成“分:秒”（如 12:30）或“时:分:秒”（如 1:05:00）。"),
                                  "recording_offset")
        numbers = [int(p) for p in parts]
        if any(n >= 60 for n in numbers[1:]):
            raise ValidationError(_("录像时间点中的分和秒须小于 60。"), "recording_offset")
        seconds = 0
        for n in numbers:
            seconds = seconds * 60 + n
    if seconds < 0 or seconds > MAX_OFFSET_SECONDS:
        raise ValidationError(_("录像时间点须在 0:00 到 23:59:59 之间。"), "recording_offset")
    return seconds


def format_offset(seconds: int | None) -> str:
    """Seconds -> "mm:ss" (under an hour) or "h:mm:ss"."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


# Hosts whose players read the start time from the query string (``t=<seconds>``). Every other
# recording gets a ``#t=<seconds>`` fragment: the W3C Media Fragments syntax, which browsers honour
# when the link is a video file (.mp4 ...), and which never changes what the server is asked for, so
# a platform that ignores it still opens the recording (from the start).
_QUERY_T_HOSTS = ("youtube.com", "youtu.be", "bilibili.com")


def safe_recording_url(url: str | None) -> str:
    """The recording link when it is an absolute http(s) link, else "" (never a javascript: or
    data: link on the page, whatever is in the database)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def recording_link(url: str, offset: int | None) -> str:
    """The recording ``url`` opened at ``offset`` seconds ("" without a usable link or an offset).

    Only http(s) links are used (recording links are checked when the archive record is saved;
    this is the last guard before the link reaches a page). Any ``t`` already in the link is
    replaced. No autoplay parameter is ever added: the page offers a link, the viewer clicks.
    """
    url = safe_recording_url(url)
    if not url or offset is None or offset < 0:
        return ""
    parts = urlsplit(url)
    seconds = int(offset)
    host = (parts.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in _QUERY_T_HOSTS):
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        return urlunsplit(parts._replace(query=urlencode(query + [("t", str(seconds))]), fragment=""))
    return urlunsplit(parts._replace(fragment=f"t={seconds}"))


def watch_url(session: SharingSession, item: AgendaItem) -> str:
    """The session's recording opened at the item's offset (see :func:`recording_link`)."""
    return recording_link(session.recording_url, item.recording_offset)
