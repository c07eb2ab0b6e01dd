"""Plain-text reads of one log stream at exact byte offsets: a range, the last lines, or a follow that streams."""

import collections
import functools
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

from job.log_stream import LogStream, agent_deadline
from job.selectors import stream_row_now
from job.utf8 import last_boundary, replace_invalid, send_length, skip_partial_start

# A character split by a limit is completed with up to this many more bytes.
_LONGEST_CHARACTER = 4


@dataclass
class LogRead:
    """Bytes of a stream and where they sit in it: `offset` is where they start, `next_offset` where to go on."""

    data: bytes
    offset: int
    next_offset: int
    more: bool
    warning: str = None


def read_from_offset(stream, offset, limit):
    """Up to `limit` bytes from `offset`, never ending inside a character."""
    raw, warning = stream.read(offset, limit + _LONGEST_CHARACTER - 1, agent_deadline())
    at_end = stream.is_finished and offset + len(raw) >= stream.stored_size
    data = memoryview(raw)[: send_length(raw, limit, at_end)]
    next_offset = offset + len(data)
    more = not stream.is_finished or next_offset < stream.stored_size
    return LogRead(data, offset, next_offset, more, warning)


def read_tail(stream, lines, limit, since=0):
    """The last `lines` lines of the stream after byte `since`, at most its last `limit` bytes of them."""
    deadline = agent_deadline()
    end, size_warning = stream.size(deadline)
    if since >= end:  # nothing after `since` yet: the next offset stays where the client already is
        return LogRead(b'', since, since, not stream.is_finished, size_warning)
    window_start = max(since, end - limit)
    raw, warning = stream.read(window_start, end - window_start, deadline)
    raw = bytes(raw)
    if not stream.is_finished:
        raw = raw[: last_boundary(raw, len(raw))]
    skipped = skip_partial_start(raw) if window_start else 0
    start = skipped + tail_start(raw[skipped:], lines)
    return LogRead(
        raw[start:], window_start + start, window_start + len(raw), not stream.is_finished, size_warning or warning
    )


def tail_start(data, lines):
    """Where the last `lines` lines of `data` start (a final newline ends the last line, it starts none)."""
    if lines == 0:
        return len(data)
    position = len(data) - 1 if data.endswith(b'\n') else len(data)
    for _ in range(lines):
        position = data.rfind(b'\n', 0, position)
        if position == -1:
            return 0
    return position + 1


def load_stream(execution_id, name):
    """The stream `name` of an execution as the row is now, or None if the row is gone."""
    execution = stream_row_now(execution_id, name)
    return execution and LogStream.of(execution, name)


def follow(execution_id, name, offset, limit=None, client=None):
    """Yield the stream's bytes from `offset` as they come, until it is finished and sent, `limit` bytes were
    sent, the maximum follow time passed, or `client` (a ClientConnection) hung up while waiting. The database
    connection is closed before every wait."""
    client = client or ClientConnection(None)
    stop_at = time.monotonic() + settings.LOGS_FOLLOW_MAX_SECONDS
    sent, first = 0, True
    while True:
        stream = load_stream(execution_id, name)
        chunk_limit = min(settings.LOGS_MAX_BYTES, limit - sent if limit else settings.LOGS_MAX_BYTES)
        read = read_from_offset(stream, offset, chunk_limit) if stream else None
        _release_database_connection()
        if read is None:
            return
        if read.data:
            sent, offset = sent + len(read.data), read.next_offset
            yield replace_invalid(read.data)
        elif first:
            yield b''  # no log bytes: the server sends the headers now rather than at the first byte
        first = False
        if not read.more or (limit and sent >= limit) or time.monotonic() >= stop_at:
            return
        if len(read.data) < chunk_limit and not client.wait(settings.LOGS_FOLLOW_POLL_SECONDS):
            return


def read_to_end(stream, offset, limit=None):
    """Yield the stream's bytes from `offset` to where it ends now (at most `limit` of them), chunk by chunk."""
    end = stream.size(agent_deadline())[0]
    end = min(end, offset + limit) if limit else end
    while stream and offset < end:
        read = read_from_offset(stream, offset, min(settings.LOGS_MAX_BYTES, end - offset))
        if not read.data:  # the agent went away: what was read is all there is
            return
        offset = read.next_offset
        yield replace_invalid(read.data)
        stream = load_stream(stream.execution_id, stream.name)  # a task may have ended: its file joined the column
        _release_database_connection()


class ClientConnection:
    """The client's socket, watched while a follow waits: a client that hung up is noticed within one poll
    interval instead of at the next write, which may never come. Nothing is sent to find out.

    Under gunicorn the WSGI environ holds the socket; elsewhere (runserver, tests' client) waits just sleep.
    """

    def __init__(self, sock):
        # TLS sockets cannot be peeked at: their end is noticed at the next write, as before.
        self._sock = None if isinstance(sock, ssl.SSLSocket) else sock

    @classmethod
    def of(cls, request):
        return cls(request.META.get('gunicorn.socket'))

    def wait(self, seconds):
        """Wait `seconds`; False as soon as the client has closed its end of the connection."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._sock is None or not self._readable(left):
                time.sleep(max(0.0, deadline - time.monotonic()))
                return True
            state = self._peek()
            if state is not None:
                if state:  # bytes of a next request: the client is there; they wait for this answer to end
                    time.sleep(max(0.0, deadline - time.monotonic()))
                return state
        return True

    def _readable(self, timeout):
        poller = select.poll()
        poller.register(self._sock, select.POLLIN | select.POLLHUP | select.POLLERR)
        try:
            return bool(poller.poll(timeout * 1000))
        except (OSError, ValueError):
            return False

    def _peek(self):
        """True: bytes are waiting; False: end of stream or reset; None: nothing after all."""
        try:
            return bool(self._sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except BlockingIOError:
            return None
        except (OSError, ValueError):
            return False


class FollowSlots:
    """A follow holds a server thread for minutes: at most LOGS_FOLLOW_MAX_CONCURRENT of them per process, so
    followers cannot take every thread from the other requests, and at most LOGS_FOLLOW_MAX_PER_CLIENT of those
    for one client, so one client cannot take every follow from the others."""

    def __init__(self):
        self._lock, self._active, self._by_client = threading.Lock(), 0, collections.Counter()

    def hold(self, chunks, client_key=None):
        """`chunks` wrapped to hold a slot until the server closes the answer; FollowsRefused when none is free."""
        with self._lock:
            if self._active >= settings.LOGS_FOLLOW_MAX_CONCURRENT:
                raise FollowsRefused(per_client=False)
            if self._by_client[client_key] >= settings.LOGS_FOLLOW_MAX_PER_CLIENT:
                raise FollowsRefused(per_client=True)
            self._active += 1
            self._by_client[client_key] += 1
        return _HeldWhileStreaming(chunks, functools.partial(self._release, client_key))

    def _release(self, client_key):
        with self._lock:
            self._active -= 1
            self._by_client[client_key] -= 1
            if not self._by_client[client_key]:
                del self._by_client[client_key]


class FollowsRefused(Exception):
    def __init__(self, per_client):
        super().__init__('per client' if per_client else 'per process')
        self.per_client = per_client


class _HeldWhileStreaming:
    """Iterates `chunks`; `close()` (which the server calls however the answer ended) releases the slot once."""

    def __init__(self, chunks, release):
        self._chunks, self._release = chunks, release

    def __iter__(self):
        return iter(self._chunks)

    def close(self):
        release, self._release = self._release, None
        if release:
            release()
        self._chunks.close()


follow_slots = FollowSlots()


def _release_database_connection():
    # A follower waits for minutes; it must not pin one of the database's few connections meanwhile, on the
    # primary or on a read replica. Inside a transaction (only in tests) closing is not allowed.
    for alias_connection in connections.all(initialized_only=True):
        if not alias_connection.in_atomic_block:
            alias_connection.close()
