"""The session whose answers' heads are bounded in total, against a real agent on loopback."""

import time

import pytest
import requests
import urllib3.poolmanager

from node.bounded_http import head_bounded_session
from scale.tests.timing import MARGIN


def read_url(agent):
    return f'http://{agent.host}:{agent.port}/files/read?path=/run/stdout&offset=-1'


def test_an_honest_answer_comes_through(fault_agent):
    fault_agent.content = b'0123456789'
    assert head_bounded_session().get(read_url(fault_agent), timeout=1).json() == {'data': '', 'offset': 10}


def test_a_head_dripped_slower_than_the_timeout_is_given_up(fault_agent):
    fault_agent.fault = 'slow drip from the status line'  # each byte within the timeout, the head in minutes
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        head_bounded_session().get(read_url(fault_agent), timeout=0.3)
    assert time.monotonic() - started < 0.3 + MARGIN


def test_urllib3s_own_pools_are_left_alone():
    head_bounded_session()
    assert urllib3.poolmanager.pool_classes_by_scheme['http'] is urllib3.HTTPConnectionPool
