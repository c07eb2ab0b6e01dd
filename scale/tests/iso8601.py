"""Hypothesis strategies for ISO-8601 date-times: every form of the grammar, with digits in and out of range.

`date_times()` writes any digits where the grammar has digits (month 13, hour 25, offset +99:00 included), so a
parser must answer or refuse each one. `moments_in_every_form()` writes one valid moment in a form chosen at
random, with the moment it stands for, so a parser can be checked for reading it right.
"""

import datetime

from hypothesis import strategies as st


def digits(count):
    return st.text('0123456789', min_size=count, max_size=count)


def _joined(*parts):
    return st.tuples(*parts).map(''.join)


def dates():
    """Calendar (2015-01-31, 20150131, 2015-01), ordinal (2015-031, 2015031) and week (2015-W05-6, 2015W056)."""
    year = digits(4)
    return st.one_of(
        _joined(year, st.just('-'), digits(2), st.just('-'), digits(2)),
        _joined(year, digits(2), digits(2)),
        _joined(year, st.just('-'), digits(2)),
        _joined(year, st.just('-'), digits(3)),
        _joined(year, digits(3)),
        _joined(year, st.just('-W'), digits(2), st.just('-'), digits(1)),
        _joined(year, st.just('W'), digits(2), digits(1)),
    )


def times():
    """hh, hh:mm, hhmm, hh:mm:ss, hhmmss, each with an optional decimal fraction (. or ,) on its last part."""
    fraction = st.one_of(st.just(''), _joined(st.sampled_from('.,'), st.text('0123456789', min_size=1, max_size=9)))
    return _joined(
        st.one_of(
            digits(2),
            _joined(digits(2), st.just(':'), digits(2)),
            _joined(digits(2), digits(2)),
            _joined(digits(2), st.just(':'), digits(2), st.just(':'), digits(2)),
            _joined(digits(2), digits(2), digits(2)),
        ),
        fraction,
    )


def zones():
    """Z, +hh, +hhmm, +hh:mm (or -), or none at all."""
    sign = st.sampled_from('+-')
    return st.one_of(
        st.sampled_from(['', 'Z']),
        _joined(sign, digits(2)),
        _joined(sign, digits(2), digits(2)),
        _joined(sign, digits(2), st.just(':'), digits(2)),
    )


def date_times():
    return _joined(dates(), st.just('T'), times(), zones())


_OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1)
_MOMENTS = st.datetimes(min_value=datetime.datetime(1000, 1, 2), max_value=datetime.datetime(9998, 12, 30))


def _offset_text(minutes, form):
    sign, minutes = ('-' if minutes < 0 else '+'), abs(minutes)
    hours, minutes = divmod(minutes, 60)
    if form == 'hh' and minutes == 0:
        return f'{sign}{hours:02}'
    return f'{sign}{hours:02}{":" if form == "hh:mm" else ""}{minutes:02}'


@st.composite
def moments_in_every_form(draw):
    """(text, the aware moment it stands for): calendar, ordinal or week date, basic or extended, any offset."""
    local = draw(_MOMENTS).replace(microsecond=0)
    minutes = draw(_OFFSETS)
    zone = datetime.timezone(datetime.timedelta(minutes=minutes))
    extended = draw(st.booleans())
    dash, colon = ('-', ':') if extended else ('', '')
    iso_year, iso_week, iso_weekday = local.isocalendar()
    date = draw(
        st.sampled_from(
            [
                f'{local.year:04}{dash}{local.month:02}{dash}{local.day:02}',
                f'{local.year:04}{dash}{local.timetuple().tm_yday:03}',
                f'{iso_year:04}{dash}W{iso_week:02}{dash}{iso_weekday}',
            ]
        )
    )
    time = f'{local.hour:02}{colon}{local.minute:02}{colon}{local.second:02}'
    if minutes == 0 and draw(st.booleans()):
        offset = 'Z'
    else:
        offset = _offset_text(minutes, draw(st.sampled_from(['hh', 'hhmm', 'hh:mm'])))
    return f'{date}T{time}{offset}', local.replace(tzinfo=zone)
