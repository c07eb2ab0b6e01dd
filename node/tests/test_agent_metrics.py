"""Agent read calls are counted by outcome and timed, against a real stand-in agent on loopback."""

from prometheus_client import REGISTRY

from node.agent import read_tails
from node.models import Node


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_read_calls_are_counted_by_outcome_and_timed(sandbox_agent, closed_port):
    sandbox_agent.write('/sandbox/stdout', 'out')
    node = Node(hostname=sandbox_agent.host, port=sandbox_agent.port)
    before = {outcome: sample('scale_agent_fetches_total', outcome=outcome) for outcome in ('ok', 'failed')}
    timed_before = sample('scale_agent_fetch_duration_seconds_count')

    results = read_tails(
        node,
        [
            sandbox_agent.download_url('/sandbox/stdout'),
            sandbox_agent.download_url('/sandbox/missing'),
            f'http://127.0.0.1:{closed_port}/files/download.json?path=/x',
        ],
        max_bytes=100,
    )

    assert results == [(b'out', 3), None, None]
    # The tail that was read took two calls (its size, then its bytes); each failure stopped at its first.
    assert sample('scale_agent_fetches_total', outcome='ok') - before['ok'] == 2
    assert sample('scale_agent_fetches_total', outcome='failed') - before['failed'] == 2
    assert sample('scale_agent_fetch_duration_seconds_count') - timed_before == 4
