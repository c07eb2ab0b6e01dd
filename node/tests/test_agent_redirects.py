"""A node's agent that redirects is not followed: the host and port check must hold for every hop."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from node.agent import AgentError, file_size
from node.models import Node


@pytest.fixture
def redirecting_node(sandbox_agent):
    """A node whose agent answers every call with a redirect to another server (here, the stand-in agent)."""
    target = f'http://{sandbox_agent.host}:{sandbox_agent.port}'

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header('Location', target + self.path)
            self.send_header('Content-Length', '0')
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Redirect)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield Node(hostname='127.0.0.1', port=server.server_address[1])
    server.shutdown()
    server.server_close()


def test_a_redirect_is_an_agent_error_not_a_second_fetch(sandbox_agent, redirecting_node):
    sandbox_agent.write('/secret/stdout', 'internal bytes')
    url = f'http://127.0.0.1:{redirecting_node.port}/files/download.json?path=/secret/stdout'
    with pytest.raises(AgentError, match='HTTP 302'):
        file_size(redirecting_node, url, deadline=time.monotonic() + 2)
