"""Which sandbox URLs the logs proxy may fetch, and how a fetch is bounded."""
import pytest

from node.agent import AgentError, check_agent_url
from node.models import Node


def node(hostname='agent1.example.com', port=5051):
    return Node(hostname=hostname, port=port, slave_id='S1')


@pytest.mark.parametrize('url', [
    'http://agent1.example.com:5051/files/download.json?path=/x/stdout',
    'http://AGENT1.example.com:5051/files/download?path=/x/stdout',
    'https://agent1.example.com:5051/files/download?path=/x/stdout',
])
def test_urls_on_the_nodes_agent_are_allowed(url):
    check_agent_url(url, node())


def test_default_ports_are_compared_too():
    check_agent_url('http://agent1.example.com/files/download?path=/x', node(port=80))
    with pytest.raises(AgentError):
        check_agent_url('http://agent1.example.com/files/download?path=/x', node(port=5051))


@pytest.mark.parametrize('url', [
    'http://other.example.com:5051/files/download?path=/x',
    'http://agent1.example.com:5052/files/download?path=/x',
    'http://agent1.example.com.evil.com:5051/files/download?path=/x',
    'http://user@evil.com:5051/?agent1.example.com:5051',
    'file:///etc/passwd',
    'gopher://agent1.example.com:5051/',
    'http://agent1.example.com:notaport/',
    'http://[::1',
    '',
])
def test_anything_else_is_refused(url):
    with pytest.raises(AgentError):
        check_agent_url(url, node())


def test_no_node_means_nothing_is_fetched():
    with pytest.raises(AgentError):
        check_agent_url('http://agent1.example.com:5051/files/download?path=/x', None)
