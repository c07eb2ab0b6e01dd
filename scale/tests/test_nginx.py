"""The documented proxy (deploy/nginx.conf) in front of gunicorn: clients that dribble their headers, which take
every gunicorn thread when they reach it directly, are held by nginx and the instance keeps answering.

nginx from Debian's packages (scripts/install-test-services installs it), started on loopback with the example
configuration as it is shipped, only its two addresses replaced.
"""

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import free_port, stop_gunicorn

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which('nginx') or '/usr/sbin/nginx'

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason='nginx is not installed')


@pytest.fixture
def nginx_in_front(tmp_path):
    processes = []

    def start(upstream):
        port = free_port()
        shipped = (ROOT / 'deploy' / 'nginx.conf').read_text()
        site = shipped.replace('server 127.0.0.1:8000;', f'server {upstream.removeprefix("http://")};')
        site = site.replace('listen 80;', f'listen 127.0.0.1:{port};')
        assert site.count(f'127.0.0.1:{port}') == 1 and 'http://scale_api' in site
        (tmp_path / 'site.conf').write_text(site)
        temp = {name: tmp_path / name for name in ('body', 'proxy', 'fastcgi', 'uwsgi', 'scgi')}
        (tmp_path / 'nginx.conf').write_text(f"""
            user root;
            worker_processes 1;
            pid {tmp_path}/nginx.pid;
            error_log {tmp_path}/error.log;
            events {{ worker_connections 256; }}
            http {{
                access_log off;
                client_body_temp_path {temp['body']}; proxy_temp_path {temp['proxy']};
                fastcgi_temp_path {temp['fastcgi']}; uwsgi_temp_path {temp['uwsgi']}; scgi_temp_path {temp['scgi']};
                include {tmp_path}/site.conf;
            }}
        """)
        process = subprocess.Popen(
            [NGINX, '-p', str(tmp_path), '-c', str(tmp_path / 'nginx.conf'), '-g', 'daemon off;'],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        base = f'http://127.0.0.1:{port}'
        for _ in range(100):
            assert process.poll() is None, process.stderr.read().decode()
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f'{base}/healthz', timeout=5)
                return base
            time.sleep(0.1)
        pytest.fail('nginx did not start')

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


class Dribbler:
    """A client that sends a request head one byte at a time and never finishes it."""

    def __init__(self, base):
        host, port = base.removeprefix('http://').split(':')
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock.sendall(f'GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Slow: '.encode())
        self.cut = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._dribble, daemon=True).start()

    def _dribble(self):
        while not self._stop.wait(0.2):
            try:
                self.sock.sendall(b'a')
            except OSError:  # the server hung up on us
                self.cut.set()
                return

    def close(self):
        self._stop.set()
        with contextlib.suppress(OSError):
            self.sock.close()


@contextlib.contextmanager
def dribbling(base, count):
    dribblers = [Dribbler(base) for _ in range(count)]
    try:
        yield dribblers
    finally:
        for dribbler in dribblers:
            dribbler.close()


def test_clients_dribbling_headers_starve_gunicorn_alone_but_not_behind_nginx(start_gunicorn, nginx_in_front):
    gunicorn = start_gunicorn(NUM_PROXIES='1')  # one worker with two threads
    # Without the proxy: four dribblers hold both threads, and a healthy request waits behind them.
    with dribbling(gunicorn, 4):
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(f'{gunicorn}/healthz', timeout=3)
    proxy = nginx_in_front(gunicorn)
    with dribbling(proxy, 20) as dribblers:
        response = requests.get(f'{proxy}/healthz', timeout=10)
        assert response.status_code == 200 and response.json() == {'status': 'ok'}
        schema = requests.get(f'{proxy}/api/schema/', params={'format': 'json'}, timeout=10)
        assert schema.status_code == 200 and schema.json()['openapi'].startswith('3.1')
        assert not any(dribbler.cut.is_set() for dribbler in dribblers)  # they were all still at it
        # nginx hangs up on each once client_header_timeout (10 s) has passed.
        give_up_at = time.monotonic() + 60
        while time.monotonic() < give_up_at and not all(dribbler.cut.is_set() for dribbler in dribblers):
            dribblers[0].cut.wait(0.5)
        assert all(dribbler.cut.is_set() for dribbler in dribblers)
    for server in start_gunicorn.servers:
        stop_gunicorn(server)
