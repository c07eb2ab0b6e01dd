"""Reading sandbox files by range through the agent's /files/read, against the real stand-in agent."""

import contextlib
import socket
import threading
import time

import pytest

from node.agent import AgentError, answer_limit, file_size, read_range, read_tails
from node.models import Node
from node.sandbox_agent import SandboxRequestHandler, SandboxServer
from scale.tests.timing import MARGIN


def node(hostname, port):
    return Node(hostname=hostname, port=port, slave_id='S1')


def test_a_range_spans_several_agent_reads_and_keeps_every_byte(sandbox_agent):
    content = bytes(range(256)) * 1000  # invalid UTF-8 included; the agent caps a read at 64 KiB
    sandbox_agent.write('/run/stdout', content)
    agent = node(sandbox_agent.host, sandbox_agent.port)
    url = sandbox_agent.download_url('/run/stdout')
    deadline = time.monotonic() + 2
    assert file_size(agent, url, deadline) == len(content)
    assert read_range(agent, url, 1000, 200_000, deadline) == content[1000:201_000]
    assert read_range(agent, url, len(content) - 5, 100, deadline) == content[-5:]
    assert read_range(agent, url, len(content) + 5, 100, deadline) == b''


def test_tails_come_back_in_order_with_none_where_unreadable(sandbox_agent):
    sandbox_agent.write('/run/stdout', 'hello\nworld\n')
    agent = node(sandbox_agent.host, sandbox_agent.port)
    good, missing = sandbox_agent.download_url('/run/stdout'), sandbox_agent.download_url('/run/missing')
    assert read_tails(agent, [good, missing, None], max_bytes=6, timeout=2) == [(b'world\n', 12), None, None]


def test_urls_off_the_node_are_never_read(sandbox_agent):
    sandbox_agent.write('/run/stdout', 'secret')
    agent = node(sandbox_agent.host, sandbox_agent.port)
    with pytest.raises(AgentError):
        file_size(agent, sandbox_agent.download_url('/run/stdout', host='localhost'), time.monotonic() + 1)


def test_tails_give_up_at_the_deadline(hanging_agent):
    agent = node('127.0.0.1', hanging_agent)
    url = f'http://127.0.0.1:{hanging_agent}/files/download?path=/x'
    started = time.monotonic()
    assert read_tails(agent, [url, url], max_bytes=10, timeout=0.3) == [None, None]
    assert time.monotonic() - started < 0.3 + MARGIN


@pytest.mark.parametrize('fault', ['deep json', 'not an object', 'escaped lone surrogate', 'offset not an int'])
def test_answers_that_are_no_file_bytes_are_agent_errors(fault_agent, fault):
    fault_agent.content, fault_agent.fault = b'0123456789abcdef', fault
    agent, url, deadline = node(fault_agent.host, fault_agent.port), fault_agent.url(), time.monotonic() + 1
    with pytest.raises(AgentError):
        read_range(agent, url, 0, 10, deadline)
    if fault != 'escaped lone surrogate':  # a size call ignores the data
        with pytest.raises(AgentError):
            file_size(agent, url, deadline)


def test_an_agent_that_drips_its_answer_is_given_up_at_the_deadline(fault_agent):
    fault_agent.content, fault_agent.fault = b'0123456789abcdef', 'slow drip'  # minutes to answer a read
    agent, url = node(fault_agent.host, fault_agent.port), fault_agent.url()
    started = time.monotonic()
    with pytest.raises(AgentError, match='time limit'):
        read_range(agent, url, 0, 10, started + 0.3)
    assert time.monotonic() - started < 0.3 + MARGIN


def test_an_answer_cut_short_by_a_reset_is_an_agent_error(fault_agent):
    fault_agent.content, fault_agent.fault = b'0123456789abcdef', 'reset mid-body'
    with pytest.raises(AgentError, match='could not be read'):
        read_range(node(fault_agent.host, fault_agent.port), fault_agent.url(), 0, 10, time.monotonic() + 1)


def test_an_agent_that_drips_its_status_line_is_given_up_at_the_deadline(fault_agent):
    fault_agent.content, fault_agent.fault = b'0123456789', 'slow drip from the status line'
    agent, url = node(fault_agent.host, fault_agent.port), fault_agent.url()
    started = time.monotonic()
    with pytest.raises(AgentError):
        file_size(agent, url, started + 0.3)
    assert time.monotonic() - started < 0.3 + MARGIN


def test_the_calls_of_a_long_range_share_one_connection(fault_agent):
    fault_agent.content = b'x' * 200_000  # four agent reads of at most 64 KiB
    agent, url = node(fault_agent.host, fault_agent.port), fault_agent.url()
    assert len(read_range(agent, url, 0, 200_000, time.monotonic() + 2)) == 200_000
    # Bodies read piece by piece are still read to their end, so each connection goes back to the pool.
    assert fault_agent.calls == 4 and fault_agent.connections == 1
    assert fault_agent.gzipped_answers == 4  # as from a real agent: requests asks for gzip, Mesos sends it


# Against stand-in agents that behave as Mesos does (node/sandbox_agent.py).


def test_gzipped_answers_are_read_byte_exact(sandbox_agent):
    content = bytes(range(256)) * 40  # 10 KiB, invalid UTF-8 included
    sandbox_agent.write('/run/stdout', content)
    agent, url = node(sandbox_agent.host, sandbox_agent.port), sandbox_agent.download_url('/run/stdout')
    assert read_range(agent, url, 5, 10_000, time.monotonic() + MARGIN) == content[5:10_005]
    assert sandbox_agent.server.gzipped_answers == 1


@pytest.mark.parametrize('page_size', [4096, 65536])
def test_a_range_takes_as_many_calls_as_the_agents_cap_needs(start_sandbox_agent, page_size):
    agent_server = start_sandbox_agent(page_size=page_size)
    content = b'0123456789abcdef' * (16 * page_size * 3 // 16 + 1)  # just over three capped reads
    agent_server.write('/run/stdout', content)
    agent, url = node(agent_server.host, agent_server.port), agent_server.download_url('/run/stdout')
    assert read_range(agent, url, 0, len(content), time.monotonic() + 30) == content
    assert agent_server.server.calls == 4


@pytest.mark.parametrize('past_end_answers_size', [False, True])
def test_a_read_past_the_end_is_empty_whichever_offset_the_agent_answers(start_sandbox_agent, past_end_answers_size):
    agent_server = start_sandbox_agent(past_end_answers_size=past_end_answers_size)
    agent_server.write('/run/stdout', 'short')
    agent, url = node(agent_server.host, agent_server.port), agent_server.download_url('/run/stdout')
    assert read_range(agent, url, 50, 10, time.monotonic() + MARGIN) == b''
    assert read_range(agent, url, 2, 10, time.monotonic() + MARGIN) == b'ort'


def test_credentials_are_sent_to_an_agent_that_requires_them_and_never_logged(start_sandbox_agent, settings, caplog):
    agent_server = start_sandbox_agent(credentials=('scale', 'agent-s3cret'))
    agent_server.write('/run/stdout', 'live')
    agent, url = node(agent_server.host, agent_server.port), agent_server.download_url('/run/stdout')
    assert read_tails(agent, [url], max_bytes=10, timeout=MARGIN) == [None]
    assert 'requires credentials; set MESOS_AGENT_PRINCIPAL and MESOS_AGENT_SECRET' in caplog.text

    settings.MESOS_AGENT_PRINCIPAL, settings.MESOS_AGENT_SECRET = 'scale', 'agent-s3cret'
    assert read_tails(agent, [url], max_bytes=10, timeout=MARGIN) == [(b'live', 4)]
    settings.MESOS_AGENT_SECRET = 'wrong-secret'
    assert read_tails(agent, [url], max_bytes=10, timeout=MARGIN) == [None]
    assert "refused MESOS_AGENT_PRINCIPAL's" in caplog.text
    assert 'agent-s3cret' not in caplog.text and 'wrong-secret' not in caplog.text


class FloodingAgent:
    """Answers every read with 200 and a JSON body of `body_bytes` bytes, as fast as the reader takes them;
    `sent` counts what the reader took before it hung up."""

    def __init__(self, body_bytes):
        self.body_bytes, self.sent, self.done = body_bytes, 0, threading.Event()
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        connection = self._listener.accept()[0]
        with contextlib.suppress(OSError), connection:
            connection.recv(65536)
            head = f'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {self.body_bytes}\r\n\r\n'
            connection.sendall(head.encode() + b'{"offset": 0, "data": "')
            piece = b'x' * 65536
            while self.sent < self.body_bytes:
                self.sent += connection.send(piece)
        self.done.set()

    def close(self):
        self._listener.close()


def test_a_read_takes_no_more_than_a_few_times_the_length_asked():
    """An agent answering 256 MiB to a 10-byte read is cut off near the limit, not read into memory."""
    agent = FloodingAgent(256 * 1024 * 1024)
    try:
        with pytest.raises(AgentError, match='more than'):
            read_range(
                node('127.0.0.1', agent.port), f'http://127.0.0.1:{agent.port}/f?path=/x', 0, 10, time.monotonic() + 30
            )
        assert agent.done.wait(30), 'the agent was still sending after the reader gave up'
        # Whatever the socket buffers took besides, far from the whole answer was sent.
        assert agent.sent < agent.body_bytes / 4
    finally:
        agent.close()


def test_an_answer_of_escaped_bytes_up_to_the_length_asked_is_within_the_limit(sandbox_agent):
    content = bytes(range(32)) * 2048  # each control character becomes a six-byte JSON escape
    sandbox_agent.write('/run/stdout', content)
    agent, url = node(sandbox_agent.host, sandbox_agent.port), sandbox_agent.download_url('/run/stdout')
    assert read_range(agent, url, 0, len(content), time.monotonic() + 5) == content
    assert answer_limit(10) < 10_000


class IPv6Server(SandboxServer):
    address_family = socket.AF_INET6


def test_an_agent_on_an_ipv6_node_is_read_at_its_bracketed_address(tmp_path):
    (tmp_path / 'stdout').write_bytes(b'over IPv6\n')
    try:
        server = IPv6Server(('::1', 0), SandboxRequestHandler)
    except OSError:
        pytest.skip('no IPv6 loopback here')
    server.sandbox_root = str(tmp_path)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        port = server.server_address[1]
        url = f'http://[::1]:{port}/files/download.json?path=/stdout'
        assert read_range(node('::1', port), url, 0, 100, time.monotonic() + 5) == b'over IPv6\n'
    finally:
        server.shutdown()
        server.server_close()


def test_a_compressed_answer_is_limited_by_its_decompressed_size():
    """Real agents gzip their answers: 50 MiB that compress to 50 KiB must be cut off like any other flood."""
    import gzip

    body = gzip.compress(b'{"offset": 0, "data": "' + b'x' * (50 * 1024 * 1024) + b'"}', compresslevel=1)
    listener = socket.create_server(('127.0.0.1', 0))

    def serve():
        connection = listener.accept()[0]
        with contextlib.suppress(OSError), connection:
            connection.recv(65536)
            connection.sendall(
                b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n'
                b'Content-Length: %d\r\n\r\n' % len(body) + body
            )

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(AgentError, match='more than'):
            read_range(node('127.0.0.1', port), f'http://127.0.0.1:{port}/f?path=/x', 0, 10, time.monotonic() + 30)
    finally:
        listener.close()
