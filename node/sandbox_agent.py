"""A local stand-in for a Mesos agent's file endpoints, for development and tests.

It serves a directory as if it were the agent's sandbox root, speaking the protocol of the agent's
`/files/read`, `/files/download` and `/files/browse` (and their `.json` aliases). It is not a Mesos
agent and runs no tasks: it lets the logs proxy be exercised against a real HTTP server.

    python -m node.sandbox_agent --root /tmp/sandbox --port 5051
"""

import argparse
import json
import os
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

# Mesos caps one read at 16 pages.
MAX_READ_BYTES = 16 * 4096


class SandboxRequestHandler(BaseHTTPRequestHandler):
    server_version = 'sandbox-agent-standin'

    def do_GET(self):
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

    def _download(self, params):
        path = self._file(params)
        with open(path, 'rb') as file:
            self._send(HTTPStatus.OK, file.read(), 'application/octet-stream')

    def _read(self, params):
        path = self._file(params)
        offset = _integer(params, 'offset', required=True)
        length = _integer(params, 'length', required=False, default=-1)
        size = os.path.getsize(path)
        if offset == -1:
            return self._send_json({'data': '', 'offset': size})
        if offset < 0 or length < -1:
            raise _HttpError(HTTPStatus.BAD_REQUEST, 'Negative offset or length')
        length = MAX_READ_BYTES if length == -1 else min(length, MAX_READ_BYTES)
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

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
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


def _entry(path):
    stat = path.stat()
    return {
        'path': str(path),
        'size': stat.st_size,
        'mtime': stat.st_mtime,
        'nlink': stat.st_nlink,
        'mode': oct(stat.st_mode),
        'uid': str(stat.st_uid),
        'gid': str(stat.st_gid),
    }


def make_server(root, host='127.0.0.1', port=0):
    server = ThreadingHTTPServer((host, port), SandboxRequestHandler)
    server.daemon_threads = True
    server.sandbox_root = str(root)
    return server


def start_in_thread(root, host='127.0.0.1', port=0):
    """Start a stand-in agent in a daemon thread; the caller shuts it down with `server.shutdown()`."""
    server = make_server(root, host, port)
    threading.Thread(target=server.serve_forever, args=(0.05,), name='sandbox-agent', daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', required=True, help='directory served as the sandbox root')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=5051)
    args = parser.parse_args()
    server = make_server(args.root, args.host, args.port)
    print(f'Sandbox agent stand-in serving {args.root} on http://{args.host}:{server.server_port}', flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
