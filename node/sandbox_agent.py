"""A local stand-in for a Mesos agent's file endpoints, for development and tests.

It serves a directory as if it were the agent's sandbox root, speaking the protocol of the agent's
`/files/read`, `/files/download` and `/files/browse` (and their `.json` aliases). It is not a Mesos
agent and runs no tasks: it lets the logs proxy be exercised against a real HTTP server.

It behaves as Mesos's files endpoints do where a client can tell: a body of 1,024 bytes or more is gzipped
when the request accepts gzip; one read is capped at 16 pages (`page_size`: 4 KiB on most machines, 64 KiB
on some); a read past the end answers the requested offset, or, as Mesos 1.0 and earlier did, the file's size
(`past_end_answers_size`); downloads carry a Content-Disposition and a type by extension; browse entries carry
an integer mtime, an `ls -l` mode string and user and group names; and with `credentials` (HTTP Basic, as an
agent started with --authenticate_http_readonly) every call without them is a 401.

    python -m node.sandbox_agent --root /tmp/sandbox --port 5051
"""

import argparse
import base64
import binascii
import grp
import gzip
import json
import mimetypes
import os
import pwd
import stat
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGE_SIZE = 4096
# Mesos caps one read at 16 pages.
MAX_READ_BYTES = 16 * PAGE_SIZE
# libprocess compresses answers from this size on, when the client accepts gzip.
GZIP_MINIMUM_BYTES = 1024


class SandboxRequestHandler(BaseHTTPRequestHandler):
    server_version = 'sandbox-agent-standin'

    def do_GET(self):
        self.server.calls += 1
        if not self._authorized():
            return self._send(
                HTTPStatus.UNAUTHORIZED, b'Unauthorized', 'text/plain', {'WWW-Authenticate': 'Basic realm="mesos"'}
            )
        url = urlsplit(self.path)
        params = {name: values[-1] for name, values in parse_qs(url.query).items()}
        endpoint = url.path.removesuffix('.json')
        handlers = {'/files/read': self._read, '/files/download': self._download, '/files/browse': self._browse}
        if endpoint not in handlers:
            return self._send(HTTPStatus.NOT_FOUND, b'No such endpoint', 'text/plain')
        try:
            handlers[endpoint](params)
        except _HttpError as error:
            self._send(error.status, error.message.encode(), 'text/plain')

    def _authorized(self):
        expected = self.server.credentials
        if expected is None:
            return True
        scheme, _, encoded = self.headers.get('Authorization', '').partition(' ')
        try:
            given = base64.b64decode(encoded, validate=True).decode().split(':', 1)
        except (binascii.Error, UnicodeDecodeError):
            return False
        return scheme.lower() == 'basic' and tuple(given) == tuple(expected)

    def _download(self, params):
        path = self._file(params)
        with open(path, 'rb') as file:
            content_type = mimetypes.guess_type(path.name)[0] or 'application/octet-stream'
            self._send(
                HTTPStatus.OK, file.read(), content_type, {'Content-Disposition': f'attachment; filename={path.name}'}
            )

    def _read(self, params):
        path = self._file(params)
        offset = _integer(params, 'offset', required=True)
        length = _integer(params, 'length', required=False, default=-1)
        size = os.path.getsize(path)
        if offset == -1:
            return self._send_json({'data': '', 'offset': size})
        if offset < 0 or length < -1:
            raise _HttpError(HTTPStatus.BAD_REQUEST, 'Negative offset or length')
        if offset > size and self.server.past_end_answers_size:
            return self._send_json({'data': '', 'offset': size})
        cap = 16 * self.server.page_size
        length = cap if length == -1 else min(length, cap)
        with open(path, 'rb') as file:
            file.seek(offset)
            data = file.read(length)
        # Like the agent, send the file's bytes as they are inside the JSON string (not re-encoded).
        self._send_json({'data': data.decode('utf-8', 'surrogateescape'), 'offset': offset})

    def _browse(self, params):
        path = self._path(params)
        if not path.is_dir():
            raise _HttpError(HTTPStatus.NOT_FOUND, 'No such directory')
        entries = [_entry(child) for child in sorted(path.iterdir())]
        self._send_json(entries)

    def _path(self, params):
        if not params.get('path'):
            raise _HttpError(HTTPStatus.BAD_REQUEST, 'Missing path')
        root = Path(self.server.sandbox_root).resolve()
        path = (root / params['path'].lstrip('/')).resolve()
        if root != path and root not in path.parents:
            raise _HttpError(HTTPStatus.FORBIDDEN, 'Outside the sandbox')
        return path

    def _file(self, params):
        path = self._path(params)
        if path.is_dir():
            raise _HttpError(HTTPStatus.BAD_REQUEST, 'Is a directory')
        if not path.is_file():
            raise _HttpError(HTTPStatus.NOT_FOUND, 'No such file')
        return path

    def _send_json(self, value):
        body = json.dumps(value, ensure_ascii=False).encode('utf-8', 'surrogateescape')
        self._send(HTTPStatus.OK, body, 'application/json')

    def _send(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        for name, value in dict(headers).items():
            self.send_header(name, value)
        if len(body) >= GZIP_MINIMUM_BYTES and accepts_gzip(self.headers.get('Accept-Encoding', '')):
            body = gzip.compress(body)
            self.send_header('Content-Encoding', 'gzip')
            self.server.gzipped_answers += 1
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class _HttpError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def _integer(params, name, required, default=None):
    if name not in params:
        if required:
            raise _HttpError(HTTPStatus.BAD_REQUEST, f'Missing {name}')
        return default
    try:
        return int(params[name])
    except ValueError:
        raise _HttpError(HTTPStatus.BAD_REQUEST, f'Failed to parse {name}')


def accepts_gzip(accept_encoding):
    """True when the Accept-Encoding header lists gzip with a weight above zero."""
    for item in accept_encoding.split(','):
        coding, _, weight = item.strip().partition(';')
        if coding.strip().lower() in ('gzip', '*'):
            return weight.strip().replace(' ', '') not in ('q=0', 'q=0.0', 'q=0.00', 'q=0.000')
    return False


def _entry(path):
    status = path.stat()
    return {
        'path': str(path),
        'size': status.st_size,
        'mtime': int(status.st_mtime),
        'nlink': status.st_nlink,
        'mode': stat.filemode(status.st_mode),
        'uid': _user(status.st_uid),
        'gid': _group(status.st_gid),
    }


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # no such user on this machine: Mesos shows the number
        return str(uid)


def _group(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


class SandboxServer(ThreadingHTTPServer):
    """The stand-in's server: set `sandbox_root`; the rest is the Mesos behaviour played (see the module's doc)."""

    daemon_threads = True
    sandbox_root = None
    page_size, past_end_answers_size, credentials = PAGE_SIZE, False, None
    calls = gzipped_answers = 0  # what it answered, for tests


def make_server(root, host='127.0.0.1', port=0, page_size=PAGE_SIZE, past_end_answers_size=False, credentials=None):
    """`credentials`: (principal, secret) every call must bring as HTTP Basic, or None for an open agent."""
    server = SandboxServer((host, port), SandboxRequestHandler)
    server.sandbox_root = str(root)
    server.page_size, server.past_end_answers_size, server.credentials = page_size, past_end_answers_size, credentials
    return server


def start_in_thread(root, host='127.0.0.1', port=0, **behaviour):
    """Start a stand-in agent in a daemon thread; the caller shuts it down with `server.shutdown()`."""
    server = make_server(root, host, port, **behaviour)
    threading.Thread(target=server.serve_forever, args=(0.05,), name='sandbox-agent', daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', required=True, help='directory served as the sandbox root')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=5051)
    parser.add_argument('--page-size', type=int, default=PAGE_SIZE, help='one read answers at most 16 of these')
    parser.add_argument(
        '--past-end-answers-size',
        action='store_true',
        help='answer a read past the end with the file size as offset, as Mesos 1.0 and earlier',
    )
    args = parser.parse_args()
    server = make_server(
        args.root, args.host, args.port, page_size=args.page_size, past_end_answers_size=args.past_end_answers_size
    )
    print(f'Sandbox agent stand-in serving {args.root} on http://{args.host}:{server.server_port}', flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
