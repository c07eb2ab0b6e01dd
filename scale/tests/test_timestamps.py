"""The time-range parser: zoned date-times and durations back from now, and what it refuses."""

import datetime

import pytest

from scale.timestamps import TimestampError, parse_timestamp

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    'text,expected',
    [
        ('2015-01-01T00:00:00Z', datetime.datetime(2015, 1, 1, tzinfo=UTC)),
        ('2015-01-01T05:30:00+05:30', datetime.datetime(2015, 1, 1, tzinfo=UTC)),
        ('2014-12-31T19:00:00.250-05:00', datetime.datetime(2015, 1, 1, 0, 0, 0, 250000, tzinfo=UTC)),
        ('20150101T000000Z', datetime.datetime(2015, 1, 1, tzinfo=UTC)),
    ],
)
def test_zoned_date_times_become_utc(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected and parsed.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize(
    'text,back',
    [
        ('PT3H0M0S', datetime.timedelta(hours=3)),
        ('P1D', datetime.timedelta(days=1)),
        ('PT90M', datetime.timedelta(minutes=90)),
        ('P1W', datetime.timedelta(weeks=1)),
    ],
)
def test_durations_count_back_from_now(text, back):
    assert parse_timestamp(text, now=NOW) == NOW - back


def test_calendar_durations_count_back_by_calendar():
    assert parse_timestamp('P1M', now=NOW) == datetime.datetime(2025, 12, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    'text,words',
    [
        ('2015-01-01T00:00:00', 'no time zone'),
        ('2015-01-01', 'not an ISO-8601 date-time'),
        ('2015-02-30T00:00:00Z', 'not an ISO-8601 date-time'),
        ('P99999999999D', 'not a valid ISO-8601 duration'),
        ('P1X', 'not a valid ISO-8601 duration'),
        ('0001-01-01T00:00:00+14:00', 'outside the supported calendar'),
        ('', 'not an ISO-8601 date-time'),
    ],
)
def test_refusals_say_what_is_wrong(text, words):
    with pytest.raises(TimestampError, match=words):
        parse_timestamp(text, now=NOW)


def test_long_values_are_shortened_in_the_message():
    with pytest.raises(TimestampError) as refused:
        parse_timestamp('x' * 20000)
    assert len(str(refused.value)) < 200
