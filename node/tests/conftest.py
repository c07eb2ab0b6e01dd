"""Fixtures for the node app's tests that no other app needs."""

import pytest

from node.tests.fault_agent import running_fault_agent


@pytest.fixture
def fault_agent():
    """A Mesos agent on loopback that misbehaves on demand (see node/tests/fault_agent.py)."""
    with running_fault_agent() as agent:
        yield agent
