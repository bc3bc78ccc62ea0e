"""Times and numbers: aware times to stored UTC, Chinese numerals, series labels, recording offsets
(the Asia/Shanghai conversions live in :mod:`portal.timezones`)."""
from __future__ import annotations

from datetime import UTC, datetime

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


def watch_url(session: SharingSession, item: AgendaItem) -> str:
    """The recording link opened at the item's offset ("" without a recording or an offset):
    ``&t=<seconds>`` when the link already has a query string, ``#t=<seconds>`` otherwise."""
    url = (session.recording_url or "").strip()
    if not url or item.recording_offset is None:
        return ""
    base, _hash, _fragment = url.partition("#")
    joiner = "&" if "?" in base else "#"
    return f"{base}{joiner}t={int(item.recording_offset)}"
