"""A misbehaving Mesos agent on loopback: it serves `/files/read` from bytes in memory, and fails on demand.
Like Mesos, it gzips an answer of 1 KiB or more when the client accepts gzip (as requests always does).

Raw sockets rather than http.server, so it can do what a well-behaved server never does: cut the body short
with a reset, drip it, or answer JSON that lies. Set `fault` (any of FAULTS, or None for honest answers) and
`content` at any time, mid-follow included; `refuse()` stops listening and `listen_again()` comes back on the
same port. `calls` counts the calls it received.
"""

import contextlib
import gzip
import json
import socket
import struct
import threading
import time
from urllib.parse import parse_qs, urlsplit

from node.sandbox_agent import GZIP_MINIMUM_BYTES, accepts_gzip

MAX_READ_BYTES = 16 * 4096
# A dripped answer is padded (JSON allows spaces after the object; a header in the head) so that at one byte
# per drip it lasts minutes: far past any deadline plus a test's margin for a busy machine.
DRIP_PADDING = 2000

# Each fault answers every call (size and reads) the same way.
FAULTS = {
    '404': lambda request: (404, b'No such file'),
    '500': lambda request: (500, b'Failed to read file'),
    'not json': lambda request: (200, b'<html>agent is restarting</html>'),
    'deep json': lambda request: (200, b'[' * 100_000),
    'not an object': lambda request: (200, b'[1, 2, 3]'),
    'no data': lambda request: (200, json.dumps({'offset': request.size}).encode()),
    'data not a string': lambda request: (200, json.dumps({'data': 42, 'offset': request.size}).encode()),
    'offset not an int': lambda request: (200, json.dumps({'data': request.data_text, 'offset': '12'}).encode()),
    'escaped lone surrogate': lambda request: (200, b'{"data": "\\ud800", "offset": %d}' % request.answer_offset),
    'reset mid-body': None,  # a behaviour of the connection, not an answer: see _answer
    'slow drip': None,
    'slow drip from the status line': None,
}


class ReadRequest:
    """One `/files/read` call, and what an honest agent holding `content` would answer to it."""

    def __init__(self, head, content):
        path = head.split()[1]
        self.accepts_gzip = accepts_gzip(_header(head, 'Accept-Encoding'))
        params = {name: values[-1] for name, values in parse_qs(urlsplit(path).query).items()}
        self.offset, self.length = int(params.get('offset', 0)), int(params.get('length', -1))
        self.size = len(content)
        length = MAX_READ_BYTES if self.length == -1 else min(self.length, MAX_READ_BYTES)
        self.data = b'' if self.offset == -1 else content[self.offset : self.offset + length]
        self.answer_offset = self.size if self.offset == -1 else self.offset
        # As the agent does: the file's bytes as they are inside the JSON string.
        self.data_text = self.data.decode('utf-8', 'surrogateescape')

    def honest_body(self):
        body = json.dumps({'data': self.data_text, 'offset': self.answer_offset}, ensure_ascii=False)
        return body.encode('utf-8', 'surrogateescape')


class FaultAgent:
    """The agent; `url(path)` is a sandbox URL on it, as the scheduler stores them."""

    def __init__(self, drip_seconds=0.05):
        self.content, self.fault, self.drip_seconds = b'', None, drip_seconds
        self.calls = self.gzipped_answers = 0
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.host, self.port = self._listener.getsockname()[:2]
        self._connections, self._stopped = [], threading.Event()
        self._start_accepting()

    def _start_accepting(self):
        threading.Thread(
            target=self._accept_forever, args=(self._listener, self._stopped), name='fault-agent', daemon=True
        ).start()

    @property
    def connections(self):
        """How many connections were opened to it."""
        return len(self._connections)

    def url(self, path='/run/stdout'):
        return f'http://{self.host}:{self.port}/files/download.json?path={path}'

    def refuse(self):
        """Go down: stop listening and drop open connections, so every new call is refused."""
        self._stopped.set()
        with contextlib.suppress(OSError):
            # A thread blocked in accept() keeps a closed listener accepting; shutdown wakes it.
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                # shutdown, unlike close, also wakes the thread blocked reading it
                connection.shutdown(socket.SHUT_RDWR)

    close = refuse

    def listen_again(self):
        """Come back up after refuse(), on the same port."""
        self._listener = socket.create_server((self.host, self.port))  # SO_REUSEADDR: the port is free at once
        self._stopped = threading.Event()
        self._start_accepting()

    def _accept_forever(self, listener, stopped):
        while not stopped.is_set():
            try:
                connection = listener.accept()[0]
            except OSError:
                return
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        with contextlib.suppress(OSError), connection:
            connection.settimeout(5)
            while True:  # keep-alive: requests' session reuses the connection
                head = _read_head(connection)
                if not head:
                    return
                self.calls += 1
                if not self._answer(connection, ReadRequest(head, self.content)):
                    return

    def _answer(self, connection, request):
        """Answer one call; False when the connection is over."""
        fault = self.fault
        if fault == 'reset mid-body':
            body, encoding = _encoded(request, request.honest_body())
            connection.sendall(_head(200, len(body) + 1000, encoding=encoding) + body[: len(body) // 2])
            # SO_LINGER with a zero timeout makes close() send an RST instead of a FIN.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            return False
        if fault in ('slow drip', 'slow drip from the status line'):
            # Not gzipped: the padding would shrink to nothing, and the drip is the network's doing anyway.
            body = request.honest_body() + b' ' * DRIP_PADDING
            if fault == 'slow drip':  # the head at once, then the body byte by byte
                connection.sendall(_head(200, len(body)))
            answer = body if fault == 'slow drip' else _head(200, len(body), b'x' * DRIP_PADDING) + body
            for byte in answer:
                time.sleep(self.drip_seconds)
                connection.sendall(bytes([byte]))
            return True
        status, body = FAULTS[fault](request) if fault else (200, request.honest_body())
        body, encoding = _encoded(request, body)
        self.gzipped_answers += encoding == 'gzip'
        connection.sendall(_head(status, len(body), encoding=encoding) + body)
        return True


def _encoded(request, body):
    """(the body as Mesos sends it, its Content-Encoding or None): gzipped from 1 KiB on, if the client accepts it."""
    if request.accepts_gzip and len(body) >= GZIP_MINIMUM_BYTES:
        return gzip.compress(body), 'gzip'
    return body, None


def _head(status, content_length, padding=b'', encoding=None):
    extra = (b'X-Padding: %s\r\n' % padding if padding else b'') + (
        f'Content-Encoding: {encoding}\r\n'.encode() if encoding else b''
    )
    return (
        (f'HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {content_length}\r\n').encode()
        + extra
        + b'\r\n'
    )


def _header(head, name):
    for line in head.split('\r\n')[1:]:
        field, _, value = line.partition(':')
        if field.strip().lower() == name.lower():
            return value.strip()
    return ''


def _read_head(connection):
    head = b''
    while b'\r\n\r\n' not in head:
        piece = connection.recv(4096)
        if not piece:
            return None
        head += piece
    return head.decode('latin-1')


@contextlib.contextmanager
def running_fault_agent():
    agent = FaultAgent()
    try:
        yield agent
    finally:
        agent.close()
