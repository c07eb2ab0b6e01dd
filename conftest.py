"""Fixtures shared by every app's tests: an API client, a real stand-in Mesos agent and gunicorn on loopback."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from node.sandbox_agent import start_in_thread

# Under CI=true a skip for want of a real service fails the run (see its docstring for the convention).
pytest_plugins = ['scale.tests.ci_skips']

# No per-example time limit: a busy machine makes examples slow, and speed is shown by benchmarks, not tests.
hypothesis_settings.register_profile('suite', deadline=None)
hypothesis_settings.load_profile('suite')


@pytest.fixture
def api():
    return APIClient()


class SandboxAgent:
    """A running stand-in agent over a temporary sandbox directory."""

    def __init__(self, server, root):
        self.server, self.root = server, root
        self.host, self.port = server.server_address[:2]

    def write(self, sandbox_path, content):
        path = self.root / sandbox_path.lstrip('/')
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)

    def download_url(self, sandbox_path, host=None):
        return f'http://{host or self.host}:{self.port}/files/download.json?path={sandbox_path}'


@pytest.fixture
def start_sandbox_agent(tmp_path):
    """Start stand-in agents over sandbox directories under tmp_path, each with its own Mesos behaviour
    (page_size, past_end_answers_size, credentials: see node/sandbox_agent.py)."""
    servers = []

    def start(**behaviour):
        root = tmp_path / f'sandbox-{len(servers)}'
        root.mkdir()
        servers.append(start_in_thread(root, **behaviour))
        return SandboxAgent(servers[-1], root)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sandbox_agent(start_sandbox_agent):
    return start_sandbox_agent()


@pytest.fixture
def hanging_agent():
    """A TCP peer that accepts connections and never answers: an agent that hangs."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept_forever():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on: an agent that is down."""
    return free_port()


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttling counts calls in the cache: every test starts with a clean count."""
    cache.clear()
    yield
    cache.clear()


def free_port():
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture
def start_gunicorn(tmp_path):
    """Start the committed gunicorn config on loopback with extra environment; returns its base URL.

    An environment value of None removes that variable. With make_serve=True the server is started exactly as an
    operator starts it, by `make serve`, and nothing else is added to its environment but what is given.
    """
    servers = []

    def start(make_serve=False, **env):
        port = free_port()
        defaults = (
            {}
            if make_serve
            else {
                'WEB_CONCURRENCY': '1',
                'GUNICORN_THREADS': '2',
                'LOGS_FOLLOW_MAX_CONCURRENT': '1',
                'DATABASE_URL': f'sqlite:///{tmp_path / "db.sqlite3"}',
                'PROMETHEUS_MULTIPROC_DIR': str(tmp_path / f'metrics-{port}'),
            }
        )
        env = {**os.environ, 'BIND': f'127.0.0.1:{port}', **defaults, **env}
        env = {name: value for name, value in env.items() if value is not None}
        command = (
            ['make', '--no-print-directory', 'serve']
            if make_serve
            else [sys.executable, '-m', 'gunicorn', '-c', 'scale/gunicorn.conf.py', 'scale.wsgi']
        )
        # Its output goes to a file, not a pipe: a pipe nobody reads fills up and stalls a chatty server.
        output_path = tmp_path / f'gunicorn-{port}.log'
        with open(output_path, 'wb') as output:
            server = subprocess.Popen(
                command,
                cwd=Path(__file__).parent,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stopping it ends its workers too
            )
        server.output_path = output_path
        server.via_make = make_serve
        servers.append(server)
        return _wait_until_up(f'http://127.0.0.1:{port}', server)

    start.servers = servers
    start.stop = stop_gunicorn
    yield start
    for server in servers:
        stop_gunicorn(server)


def stop_gunicorn(server):
    """Graceful shutdown, as an orchestrator stops it, then end anything of this server's left behind.

    (SIGINT, gunicorn's quick shutdown, now and then leaves the gthread worker running until the graceful
    timeout: SIGTERM is both what production sees and reliable.)
    """
    if server.poll() is None:
        if getattr(server, 'via_make', False):  # make passes SIGTERM on; the group also reaches gunicorn itself
            os.killpg(server.pid, signal.SIGTERM)
        else:
            server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


# Nothing promises how fast a server starts: `make serve` first checks the venv and collects static files, which
# on a busy 2-core machine took longer than 15 s. A server that never comes up still fails within a minute.
STARTUP_S = 60


def _wait_until_up(base, server):
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f'gunicorn exited: {server.output_path.read_text()}')
        try:
            requests.get(f'{base}/healthz', timeout=5)
            return base
        except requests.RequestException:
            time.sleep(0.1)  # polling a port that is not open yet: nothing to wait on instead
    pytest.fail(f'gunicorn did not start within {STARTUP_S} s: {server.output_path.read_text()[-2000:]}')
