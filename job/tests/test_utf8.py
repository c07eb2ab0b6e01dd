"""Cutting UTF-8 only between characters, tested on the bytes themselves."""

import pytest

from job.utf8 import last_boundary, replace_invalid, send_length, skip_partial_start

EURO = '€'.encode()  # three bytes
TEXT = b'a' + EURO + b'b'  # a, then the euro at 1..3, then b at 4


@pytest.mark.parametrize('end, boundary', [(0, 0), (1, 1), (2, 1), (3, 1), (4, 4), (5, 5)])
def test_last_boundary_never_falls_inside_a_character(end, boundary):
    assert last_boundary(TEXT, end) == boundary


def test_send_length_moves_a_cut_back_to_the_start_of_the_split_character():
    assert send_length(TEXT, 3, at_end=False) == 1
    assert send_length(TEXT, 4, at_end=False) == 4


def test_send_length_sends_a_whole_first_character_when_the_limit_is_smaller():
    assert send_length(EURO + b'x', 1, at_end=False) == 3


def test_an_incomplete_last_character_waits_in_a_growing_stream_and_goes_at_the_end_of_a_finished_one():
    assert send_length(EURO[:2], 10, at_end=False) == 0
    assert send_length(EURO[:2], 10, at_end=True) == 2


def test_skip_partial_start_counts_the_bytes_of_a_character_begun_before():
    assert skip_partial_start(EURO[1:] + b'b') == 2
    assert skip_partial_start(b'b') == 0


def test_replace_invalid_keeps_valid_bytes_and_replaces_the_rest_across_pieces():
    valid = EURO * 10
    assert replace_invalid(valid, piece_bytes=4) is valid  # a character split across pieces is still valid
    assert replace_invalid(b'ok \xff ' + EURO, piece_bytes=2) == 'ok \ufffd €'.encode()
