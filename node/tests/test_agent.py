"""Which sandbox URLs the logs proxy may fetch, and how a fetch is bounded."""

import pytest

from node.agent import AgentError, agent_address, check_agent_url, read_url, redacted
from node.models import Node


def node(hostname='agent1.example.com', port=5051):
    return Node(hostname=hostname, port=port, slave_id='S1')


@pytest.mark.parametrize(
    'url',
    [
        'http://agent1.example.com:5051/files/download.json?path=/x/stdout',
        'http://AGENT1.example.com:5051/files/download?path=/x/stdout',
        'https://agent1.example.com:5051/files/download?path=/x/stdout',
    ],
)
def test_urls_on_the_nodes_agent_are_allowed(url):
    check_agent_url(url, node())


def test_default_ports_are_compared_too():
    check_agent_url('http://agent1.example.com/files/download?path=/x', node(port=80))
    with pytest.raises(AgentError):
        check_agent_url('http://agent1.example.com/files/download?path=/x', node(port=5051))


@pytest.mark.parametrize(
    'url',
    [
        'http://other.example.com:5051/files/download?path=/x',
        'http://agent1.example.com:5052/files/download?path=/x',
        'http://agent1.example.com.evil.com:5051/files/download?path=/x',
        'http://user@evil.com:5051/?agent1.example.com:5051',
        'file:///etc/passwd',
        'gopher://agent1.example.com:5051/',
        'http://agent1.example.com:notaport/',
        'http://[::1',
        '',
        # urllib.parse ends the host at the last @, urllib3 at the backslash: another host would be fetched.
        'http://127.0.0.1:8533\\@agent1.example.com:5051/files/download?path=/x',
        'http://127.0.0.1:8533/\\@agent1.example.com:5051/files/download?path=/x',
        'http://user:secret@agent1.example.com:5051/files/download?path=/x',
        'http://@agent1.example.com:5051/files/download?path=/x',
        'http://agent1.example.com:5051/files/download?path=/x stdout',
        'http://agent1.example.com:5051/files/download?path=/x\tstdout',
        'http://agent1.example.com:5051/files/download?path=/x\r\nHost: evil',
        'http://agent1.example.com:5051/files/download?path=/x\x00',
        'http://agent1.example.com:5051/files/download?path=/x\x7f',
        'http://agent1.example.com:5051/files/download?path=/x\u2028',
    ],
)
def test_anything_else_is_refused(url):
    with pytest.raises(AgentError):
        check_agent_url(url, node())


def test_no_node_means_nothing_is_fetched():
    with pytest.raises(AgentError):
        check_agent_url('http://agent1.example.com:5051/files/download?path=/x', None)


@pytest.mark.parametrize(
    'hostname,port,address',
    [
        ('agent1.example.com', 5051, 'agent1.example.com:5051'),
        ('10.0.0.7', 5051, '10.0.0.7:5051'),
        ('::1', 5051, '[::1]:5051'),
        ('2001:DB8:0:0::1', 80, '[2001:db8::1]:80'),
    ],
)
def test_the_address_fetched_comes_from_the_node_row(hostname, port, address):
    assert agent_address(node(hostname, port)) == address


@pytest.mark.parametrize(
    'hostname,port',
    [
        ('evil.com/x?', 5051),
        ('user@evil.com', 5051),
        ('a b', 5051),
        ('host\\', 5051),
        ('', 5051),
        ('agent1.example.com', 0),
        ('agent1.example.com', 65536),
    ],
)
def test_a_node_row_that_is_no_address_is_never_fetched(hostname, port):
    with pytest.raises(AgentError):
        agent_address(node(hostname, port))


def test_only_the_sandbox_path_is_taken_from_the_stored_url():
    stored = 'HTTPS://Agent1.Example.com:5051/files/download.json?x=1&path=/a%20b/stdout#frag'
    assert read_url(stored, node()) == 'https://agent1.example.com:5051/files/read?path=%2Fa+b%2Fstdout'
    assert read_url('http://[::1]:5051/f?path=/x', node('::1')) == 'http://[::1]:5051/files/read?path=%2Fx'


def test_credentials_never_reach_the_log():
    assert (
        redacted('http://user:secret@agent1.example.com:5051/p?path=/x')
        == 'http://***@agent1.example.com:5051/p?path=/x'
    )
    assert 'secret' not in redacted('http://127.0.0.1:1\\@user:secret@agent1:5051/x')
    with pytest.raises(AgentError) as refused:
        check_agent_url('http://user:secret@other.example.com:5051/x', node())
    assert 'secret' not in str(refused.value)
