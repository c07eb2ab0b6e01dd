"""Parsing of the time-range query parameters: an ISO-8601 date-time with a zone, or a duration back from now."""

import datetime
import re

import isodate

# isodate raises a mix of these on malformed or out-of-range input.
_PARSE_ERRORS = (ValueError, OverflowError, ArithmeticError, IndexError, TypeError, KeyError)


# The zone designator at the end of a date-time: +hh, +hhmm or +hh:mm (or -).
_OFFSET = re.compile(r'[+-](\d\d)(?::?(\d\d))?\Z')


class TimestampError(ValueError):
    pass


def _shown(text, limit=40):
    """The value as echoed in an error message: enough to recognise, never a 20,000-character wall."""
    return text if len(text) <= limit else text[:limit] + '...'


def parse_timestamp(value, now=None):
    """Return an aware UTC datetime for `value`, or raise TimestampError saying what is wrong with it."""
    text = value.strip()
    if text[:1] in ('P', '-', '+') and 'P' in text[:2]:
        return _duration_before(text, now or datetime.datetime.now(datetime.timezone.utc))
    return _aware_datetime(text)


def _duration_before(text, now):
    try:
        duration = isodate.parse_duration(text)
        return now - duration
    except _PARSE_ERRORS:
        raise TimestampError(
            f'"{_shown(text)}" is not a valid ISO-8601 duration (example: PT3H0M0S) within the calendar.'
        )


def _aware_datetime(text):
    try:
        moment = isodate.parse_datetime(text)
    except _PARSE_ERRORS:
        raise TimestampError(
            f'"{_shown(text)}" is not an ISO-8601 date-time (example: 2015-01-01T00:00:00Z) or duration (example: PT3H0M0S).'
        )
    if moment.tzinfo is None:
        raise TimestampError(f'"{_shown(text)}" has no time zone; add Z or an offset such as +00:00.')
    if not _offset_in_range(moment, text):
        raise TimestampError(f'"{_shown(text)}" has a zone offset out of range; offsets run from -23:59 to +23:59.')
    try:
        return moment.astimezone(datetime.timezone.utc)
    except (ValueError, OverflowError):
        raise TimestampError(f'"{_shown(text)}" is outside the supported calendar.')


def _offset_in_range(moment, text):
    offset = _OFFSET.search(text)
    if offset and int(offset[2] or 0) > 59:
        return False
    try:
        moment.utcoffset()  # Python refuses offsets of a day or more here, not when parsing
    except ValueError:
        return False
    return True
