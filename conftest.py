"""Fixtures shared by every app's tests: an API client and a real stand-in Mesos agent on loopback."""
import socket
import threading

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from node.sandbox_agent import start_in_thread


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
def sandbox_agent(tmp_path):
    server = start_in_thread(tmp_path)
    yield SandboxAgent(server, tmp_path)
    server.shutdown()
    server.server_close()


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
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttling counts calls in the cache: every test starts with a clean count."""
    cache.clear()
    yield
    cache.clear()
