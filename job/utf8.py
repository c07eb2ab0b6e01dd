"""Cutting UTF-8 byte strings only between characters, so byte offsets handed to clients never split one."""

import codecs

_CONTINUATION = 0b1000_0000


def _sequence_length(lead):
    """How many bytes a character starting with byte `lead` has (1 for ASCII and for bytes that start nothing)."""
    if 0xF0 <= lead <= 0xF7:
        return 4
    if lead >= 0xE0:
        return 3 if lead <= 0xEF else 1
    if lead >= 0xC0:
        return 2
    return 1


def _is_continuation(byte):
    return byte & 0b1100_0000 == _CONTINUATION


def last_boundary(data, end):
    """The largest offset <= `end` in `data` that does not fall inside a character."""
    for start in range(end - 1, max(end - 4, -1), -1):
        if not _is_continuation(data[start]):
            return start if start + _sequence_length(data[start]) > end else end
    return end


def send_length(data, wanted, at_end):
    """How many bytes of `data` to send when at most `wanted` are asked for.

    The cut is moved back to the start of a character split by it; if that leaves nothing, the first character
    is sent whole (so a tiny limit still makes progress). At the end of a finished stream everything is sent,
    an incomplete last character included; in a growing one it waits for its remaining bytes.
    """
    if wanted <= 0:
        return 0
    if at_end and len(data) <= wanted:
        return len(data)
    end = min(wanted, len(data))
    boundary = last_boundary(data, end)
    if boundary == 0 and data:
        whole_first = _sequence_length(data[0])
        return whole_first if len(data) >= whole_first else (len(data) if at_end else 0)
    return boundary


def skip_partial_start(data):
    """How many bytes at the start of `data` continue a character that began before it (0 to 3)."""
    count = 0
    while count < min(3, len(data)) and _is_continuation(data[count]):
        count += 1
    return count


def decode(data):
    return str(data, 'utf-8', errors='replace')


def replace_invalid(data, piece_bytes=64 * 1024):
    """`data` with invalid UTF-8 replaced by U+FFFD, as bytes. Checked and converted piece by piece: decoding
    megabytes at once would build a str up to four times their size. Valid data is returned as it is."""
    view = memoryview(data)
    pieces = [view[start : start + piece_bytes] for start in range(0, len(view), piece_bytes)]
    decoder = codecs.getincrementaldecoder('utf-8')()
    try:
        for piece in pieces:
            decoder.decode(piece)
        decoder.decode(b'', final=True)
        return data
    except UnicodeDecodeError:
        decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')
        replaced = [decoder.decode(piece).encode() for piece in pieces]
        return b''.join(replaced + [decoder.decode(b'', final=True).encode()])
