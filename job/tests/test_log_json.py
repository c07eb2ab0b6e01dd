"""The JSON logs answer's value objects: a stream's last bytes under the cap, stored and live parts joined."""

from job.log_json import CappedLog, _capped


def test_a_null_column_with_nothing_live_stays_null():
    assert _capped(None, None, None, max_bytes=10) == CappedLog(None, truncated=False)


def test_stored_and_live_bytes_are_joined_uncut_under_the_cap():
    assert _capped(b'stored ', 7, (b'live', 4), max_bytes=100) == CappedLog('stored live', truncated=False)


def test_over_the_cap_the_start_is_cut_at_a_character_boundary():
    stored = 'é'.encode() * 10  # 20 bytes
    log = _capped(stored[-5:], len(stored), None, max_bytes=5)  # the tail starts inside a character
    assert log == CappedLog('éé', truncated=True)


def test_live_bytes_alone_when_the_column_is_null():
    assert _capped(None, None, (b'only live', 9), max_bytes=100) == CappedLog('only live', truncated=False)
