"""Properties of the timestamp parser over arbitrary input: it answers the right moment or refuses, never crashes."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from scale.tests.iso8601 import date_times, moments_in_every_form
from scale.timestamps import TimestampError, parse_timestamp

UTC = datetime.timezone.utc
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)
aware_moments = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(9000, 1, 1), timezones=offsets
)


@given(st.text(max_size=60))
def test_any_text_is_a_utc_moment_or_a_refusal(text):
    try:
        parsed = parse_timestamp(text)
    except TimestampError as error:
        assert str(error)
    else:
        assert parsed.utcoffset() == datetime.timedelta(0)


DATE_UNITS, TIME_UNITS = 'YMWD', 'HMS'
# Small enough that any mix of them stays far inside the calendar from NOW, backwards or forwards.
SMALL = {'Y': 1000, 'M': 1000, 'W': 1000, 'D': 10_000, 'H': 10**6, 'MT': 10**6, 'S': 10**6}
NOW = datetime.datetime(2026, 6, 1, tzinfo=UTC)


@st.composite
def durations(draw):
    """(text, sign, {unit: amount}) for a duration-shaped text, amounts up to 14 digits as the parser allows."""
    amounts = {
        unit: draw(st.one_of(st.none(), st.integers(0, 10**4), st.integers(0, 10**14 - 1)))
        for unit in ('Y', 'M', 'W', 'D', 'H', 'MT', 'S')
    }
    sign = draw(st.sampled_from(['', '+', '-']))
    date = ''.join(f'{amounts[unit]}{unit}' for unit in DATE_UNITS if amounts[unit] is not None)
    time = ''.join(
        f'{amounts[key]}{unit}' for key, unit in zip(('H', 'MT', 'S'), TIME_UNITS) if amounts[key] is not None
    )
    text = f'{sign}P{date}' + (f'T{time}' if time else '')
    return text, sign, {unit: amount for unit, amount in amounts.items() if amount is not None}


@given(durations())
def test_a_duration_shaped_text_counts_back_from_now_or_is_refused_as_a_duration(duration):
    text, sign, amounts = duration
    try:
        moment = parse_timestamp(text, now=NOW)
    except TimestampError as error:
        assert 'ISO-8601 duration' in str(error) and text[:20] in str(error)
        # Only an empty duration, or one reaching outside the calendar, may be refused.
        assert not amounts or any(amount > SMALL[unit] for unit, amount in amounts.items()), text
        return
    assert moment.utcoffset() == datetime.timedelta(0)
    # A duration counts back from now: "-P1D" is one day ahead.
    assert (moment >= NOW) if sign == '-' else (moment <= NOW)
    if not {'Y', 'M'} & amounts.keys():  # without calendar units the moment is plain arithmetic
        back = datetime.timedelta(
            weeks=amounts.get('W', 0),
            days=amounts.get('D', 0),
            hours=amounts.get('H', 0),
            minutes=amounts.get('MT', 0),
            seconds=amounts.get('S', 0),
        )
        assert moment == (NOW + back if sign == '-' else NOW - back)


@given(aware_moments)
def test_a_zoned_date_time_round_trips(moment):
    assert parse_timestamp(moment.isoformat()) == moment.astimezone(UTC)


@given(aware_moments)
def test_the_same_moment_without_its_zone_is_refused(moment):
    try:
        parse_timestamp(moment.replace(tzinfo=None).isoformat())
    except TimestampError as error:
        assert 'time zone' in str(error)
    else:
        raise AssertionError('a date-time without a zone was accepted')


@given(st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=3650)))
def test_a_duration_counts_back_from_now(back):
    now = datetime.datetime(2026, 6, 1, tzinfo=UTC)
    seconds = int(back.total_seconds())
    assert parse_timestamp(f'PT{seconds}S', now=now) == now - datetime.timedelta(seconds=seconds)


@settings(max_examples=500)
@given(date_times())
def test_anything_in_the_iso_8601_grammar_is_a_utc_moment_or_a_refusal_saying_why(text):
    try:
        parsed = parse_timestamp(text)
    except TimestampError as error:
        assert 'ISO-8601' in str(error) or 'zone' in str(error) or 'calendar' in str(error)
    else:
        assert parsed.utcoffset() == datetime.timedelta(0)


@settings(max_examples=500)
@given(moments_in_every_form())
def test_every_form_of_a_zoned_date_time_is_read_as_the_moment_it_writes(example):
    text, moment = example
    assert parse_timestamp(text) == moment


@given(st.sampled_from('+-'), st.integers(24, 99), st.integers(0, 99))
def test_an_offset_of_a_day_or_more_or_of_60_minutes_is_refused_as_such(sign, hours, minutes):
    with_hours = f'2015-01-01T00:00:00{sign}{hours:02}:{minutes:02}'
    with_minutes = f'2015-01-01T00:00:00{sign}00:{minutes + 60 if minutes < 40 else 99}'
    for text in (with_hours, with_minutes):
        try:
            parse_timestamp(text)
        except TimestampError as error:
            assert 'zone offset out of range' in str(error)
        else:
            raise AssertionError(f'{text} was accepted')
