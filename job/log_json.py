"""The logs in the JSON logs answer: each stream's last bytes, capped, with the stored part and the live part joined.

The row holds the logs of the tasks that already ended; the current task's are only on the agent, read by range.
If the agent cannot be read, the stored logs are answered as they are.
"""

from dataclasses import dataclass

import orjson

from job.selectors import STREAMS, stored_tails
from job.utf8 import decode, skip_partial_start
from node.agent import read_tails


@dataclass(frozen=True)
class CappedLog:
    """One stream as the answer shows it: its text (None for a NULL column with nothing live, as Scale answers
    it), and whether earlier bytes were cut to stay under the cap."""

    text: str | None
    truncated: bool = False


def capped_logs(execution, max_bytes):
    """{name: CappedLog} of both streams of `execution` (a row from `job.selectors.json_logs_row`): the last
    `max_bytes` bytes of each, live part included."""
    live = {name: None for name in STREAMS}
    urls = {name: getattr(execution, f'current_{name}_url') for name in STREAMS}
    if not execution.is_finished and any(urls.values()):
        live = dict(zip(STREAMS, read_tails(execution.node, [urls[name] for name in STREAMS], max_bytes)))
    # The tails are taken out of the row: the bytes are let go as soon as they are text (megabytes each).
    stored = {name: (vars(execution).pop(f'{name}_tail'), getattr(execution, f'{name}_size')) for name in STREAMS}
    if not execution.is_finished:
        stored = _stored_tails_beside(execution.pk, urls, live, max_bytes) or stored
    return {name: _capped(*stored.pop(name), live.pop(name), max_bytes) for name in STREAMS}


def _stored_tails_beside(execution_id, urls, live, max_bytes):
    """Only as much of each stored column as the live tail leaves room for under the cap.

    Read after the live tails: a task that ended in between has its bytes in the column now and its URL changed,
    so its live part is dropped (from `live`) rather than answered twice.
    """
    rooms = {name: max_bytes - (len(live[name][0]) if live[name] else 0) for name in STREAMS}
    tails = stored_tails(execution_id, rooms)
    if tails is None:
        return None
    for name, (_, _, url) in tails.items():
        if url != urls[name]:
            live[name] = None
    return {name: (tail, size) for name, (tail, size, _) in tails.items()}


def _capped(stored_tail, stored_size, live_tail, max_bytes):
    live_bytes, live_size = live_tail if live_tail else (b'', 0)
    if stored_size is None and live_tail is None:  # a NULL column stays null, as Scale answers it
        return CappedLog(None)
    joined = bytes(stored_tail) + live_bytes if stored_tail and live_bytes else stored_tail or live_bytes
    data = memoryview(joined).cast('B')
    data = data[-max_bytes:] if len(data) > max_bytes else data
    truncated = (stored_size or 0) + live_size > len(data)
    if truncated:
        data = data[skip_partial_start(data) :]
    text, cut = json_tail(decode(data), max_bytes)
    return CappedLog(text, truncated or cut)


# Characters measured at once when finding where a JSON tail starts: small enough that the escaped block is small.
_MEASURED_CHARACTERS = 4096


def json_tail(text, max_bytes):
    """(the longest end of `text` whose JSON string takes at most `max_bytes` bytes, whether it was cut).

    Bytes and JSON differ: a control character is six bytes as `\\u0001`, a quote or backslash two, and an
    invalid byte three once replaced by U+FFFD. Measured block by block from the end, never encoding it whole.
    """
    start, size = len(text), 0
    while start > 0:
        block_start = max(0, start - _MEASURED_CHARACTERS)
        block_size = _json_size(text[block_start:start])
        if size + block_size > max_bytes:
            while size + _json_size(text[start - 1]) <= max_bytes:
                size, start = size + _json_size(text[start - 1]), start - 1
            return text[start:], True
        size, start = size + block_size, block_start
    return text, False


def _json_size(text):
    return len(orjson.dumps(text)) - 2  # without the quotes
