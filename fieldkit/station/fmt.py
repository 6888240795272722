"""Locale formatting for the station's pages (Babel): numbers, dates, form texts."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal


def number(value: Any, lang: str) -> str:
    return format_decimal(value or 0, locale=lang)


def when(iso: str | None, lang: str) -> str:
    """An ISO-8601 UTC time shown in the laptop's local time, in the page's locale."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_datetime(moment.astimezone(), "medium", locale=lang)


def today(lang: str) -> str:
    return format_date(datetime.now().astimezone().date(), "full", locale=lang)


def text(value: Any, lang: str) -> str:
    """A form text (mapping lang -> str) in ``lang``, falling back to English."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("en") or ""
