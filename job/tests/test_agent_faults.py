"""Logs while the agent misbehaves: every fault gives the stored part and a warning, fast, and follows stay exact.

The agent is a real misbehaving HTTP peer on loopback (node/tests/fault_agent.py). Each fault is tried against
the JSON endpoint and the plain-text one (a read, a tail, and a follow where the fault starts mid-stream).
"""

import time

import pytest

from job.models import JobExecution
from job.tests.factories import make_execution, make_node
from job.tests.following import PATIENCE, Follower, calls_from_now, failed_agent_calls, while_followed
from node.tests.fault_agent import FAULTS
from scale.tests.timing import MARGIN

pytestmark = pytest.mark.django_db

STORED = 'stored é\n'
STORED_BYTES = STORED.encode()
LIVE = b'live 1\n'
TIMEOUT = 0.3
# One agent deadline, plus a margin for the test client and the database on a busy machine.
BOUND = TIMEOUT + MARGIN
# Every fault the agent can play, so a fault added there is tried here too.
ALL_FAULTS = ['connection refused', *FAULTS]


def text(api, execution, **params):
    return api.get(f'/job-executions/{execution.id}/logs/stdout/', params)


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def misbehave(agent, fault):
    if fault == 'connection refused':
        agent.refuse()
    else:
        agent.fault = fault


def recover(agent, fault):
    if fault == 'connection refused':
        agent.listen_again()
    agent.fault = None


def finish(execution, stdout):
    while_followed(
        lambda: JobExecution.objects.filter(pk=execution.pk).update(
            status='COMPLETED', stdout=stdout, current_stdout_url=None, current_stderr_url=None
        )
    )


@pytest.fixture
def execution(fault_agent, settings):
    """A running execution whose current task has written LIVE so far, on the fault agent's node."""
    settings.MESOS_AGENT_TIMEOUT = TIMEOUT
    settings.LOGS_FOLLOW_POLL_SECONDS = 0.01
    settings.LOGS_FOLLOW_MAX_SECONDS = 2
    settings.LOGS_THROTTLE_RATE = '100000/min'
    fault_agent.content = LIVE
    node = make_node(hostname=fault_agent.host, port=fault_agent.port)
    return make_execution(
        status='RUNNING',
        node=node,
        stdout=STORED,
        stderr=STORED,
        ended=None,
        current_stdout_url=fault_agent.url('/run/stdout'),
        current_stderr_url=fault_agent.url('/run/stderr'),
    )


def test_an_honest_agent_gives_the_stored_part_then_the_live_file(api, execution):
    response = text(api, execution)
    assert response.content == STORED_BYTES + LIVE and 'X-Log-Warning' not in response
    body = api.get(f'/job-executions/{execution.id}/logs/').json()
    assert body['stdout'] == body['stderr'] == STORED + LIVE.decode()


@pytest.mark.parametrize('fault', ALL_FAULTS)
class TestEachFault:
    def test_a_read_answers_the_stored_part_and_a_warning(self, api, execution, fault_agent, fault):
        misbehave(fault_agent, fault)
        response, elapsed = timed(lambda: text(api, execution))
        assert response.status_code == 200 and response.content == STORED_BYTES
        assert response['X-Log-Offset'] == str(len(STORED_BYTES)) and response['X-More-Data'] == 'true'
        assert 'live log unavailable' in response['X-Log-Warning']
        assert elapsed < BOUND, f'took {elapsed:.2f}s'

    def test_a_read_of_the_live_part_answers_nothing_and_a_warning(self, api, execution, fault_agent, fault):
        misbehave(fault_agent, fault)
        response, elapsed = timed(lambda: text(api, execution, offset=len(STORED_BYTES) + 2))
        assert response.status_code == 200 and response.content == b''
        assert response['X-Log-Offset'] == str(len(STORED_BYTES) + 2) and response['X-More-Data'] == 'true'
        assert 'live log unavailable' in response['X-Log-Warning'] and elapsed < BOUND

    def test_a_tail_answers_the_stored_lines_and_a_warning(self, api, execution, fault_agent, fault):
        misbehave(fault_agent, fault)
        response, elapsed = timed(lambda: text(api, execution, tail=5))
        assert response.status_code == 200 and response.content == STORED_BYTES
        assert response['X-Log-Offset'] == str(len(STORED_BYTES)) and response['X-More-Data'] == 'true'
        assert 'live log unavailable' in response['X-Log-Warning']
        # A size call then a read, each within what is left of one deadline.
        assert elapsed < BOUND, f'took {elapsed:.2f}s'

    def test_json_answers_the_stored_logs(self, api, execution, fault_agent, fault):
        misbehave(fault_agent, fault)
        response, elapsed = timed(lambda: api.get(f'/job-executions/{execution.id}/logs/'))
        assert response.status_code == 200
        assert response.json()['stdout'] == response.json()['stderr'] == STORED
        assert elapsed < BOUND, f'took {elapsed:.2f}s'

    @pytest.mark.django_db(transaction=True)
    def test_a_follow_hit_mid_stream_polls_through_the_fault_and_goes_on_once_it_recovers(
        self, api, execution, fault_agent, fault, settings
    ):
        settings.LOGS_FOLLOW_MAX_SECONDS = PATIENCE  # it ends when the execution does
        follower = Follower(text(api, execution, follow='true'))
        follower.wait_for(STORED_BYTES + LIVE)
        asked_during_fault = calls_from_now(
            failed_agent_calls if fault == 'connection refused' else lambda: fault_agent.calls
        )
        misbehave(fault_agent, fault)
        follower.wait_while_following(lambda: asked_during_fault() >= 2, 'the follow asked the faulty agent twice')
        assert follower.received == STORED_BYTES + LIVE  # nothing was sent from the faulty answers

        recover(fault_agent, fault)
        fault_agent.content = LIVE + b'live 2\n'
        follower.wait_for(STORED_BYTES + LIVE + b'live 2\n')  # from the agent again, where it left off
        finish(execution, STORED + 'live 1\nlive 2\nlive 3\n')
        assert follower.wait_until_finished() == (STORED + 'live 1\nlive 2\nlive 3\n').encode()

    @pytest.mark.django_db(transaction=True)
    def test_a_follow_that_never_recovers_ends_on_time(self, api, execution, fault_agent, fault, settings):
        settings.LOGS_FOLLOW_MAX_SECONDS = 0.5
        misbehave(fault_agent, fault)
        received, elapsed = timed(lambda: b''.join(text(api, execution, follow='true').streaming_content))
        assert received == STORED_BYTES
        assert elapsed < 0.5 + BOUND, f'took {elapsed:.2f}s'


class TestInvalidUtf8:
    CONTENT = b'ok \xff\xfe \xed\xa0\x80 \xe2\x82'  # stray bytes, an encoded surrogate, a cut character

    def test_plain_text_replaces_what_is_not_utf8_and_counts_bytes(self, api, execution, fault_agent):
        fault_agent.content = self.CONTENT
        response = text(api, execution, offset=len(STORED_BYTES))
        # The cut character at the end of a growing file waits for its last byte.
        assert response.content == 'ok \ufffd\ufffd \ufffd\ufffd\ufffd '.encode()
        assert response['X-Log-Offset'] == str(len(STORED_BYTES) + len(self.CONTENT) - 2)

    def test_json_replaces_what_is_not_utf8(self, api, execution, fault_agent):
        fault_agent.content = self.CONTENT
        body = api.get(f'/job-executions/{execution.id}/logs/').json()
        assert body['stdout'] == STORED + 'ok \ufffd\ufffd \ufffd\ufffd\ufffd \ufffd'


class TestShrinkingFile:
    """The task's file got shorter than what was read of it: it was truncated or rotated."""

    def test_a_read_beyond_the_live_size_answers_nothing_and_says_so(self, api, execution, fault_agent):
        offset = len(STORED_BYTES + LIVE)
        fault_agent.content = b''
        response = text(api, execution, offset=offset)
        assert response.status_code == 200 and response.content == b''
        assert response['X-Log-Offset'] == str(offset) and response['X-More-Data'] == 'true'
        assert 'truncated or rotated' in response['X-Log-Warning']

    def test_at_the_end_of_a_file_that_did_not_shrink_nothing_new_is_no_warning(self, api, execution):
        response = text(api, execution, offset=len(STORED_BYTES + LIVE))
        assert response.status_code == 200 and response.content == b'' and 'X-Log-Warning' not in response

    def test_reads_and_tails_from_before_the_cut_see_the_file_as_it_is_now(self, api, execution, fault_agent):
        fault_agent.content = b'new\n'
        assert text(api, execution).content == STORED_BYTES + b'new\n'
        assert text(api, execution, tail=1).content == b'new\n'
        assert api.get(f'/job-executions/{execution.id}/logs/').json()['stdout'] == STORED + 'new\n'

    @pytest.mark.django_db(transaction=True)
    def test_a_follow_sends_nothing_again_and_nothing_invented(self, api, execution, fault_agent, settings):
        settings.LOGS_FOLLOW_MAX_SECONDS = PATIENCE
        follower = Follower(text(api, execution, follow='true'))
        follower.wait_for(STORED_BYTES + LIVE)
        fault_agent.content = b'x'  # rotated: a new, shorter file
        asked = calls_from_now(lambda: fault_agent.calls)
        follower.wait_while_following(lambda: asked() >= 2, 'the follow polled the shrunk file twice')
        assert follower.received == STORED_BYTES + LIVE
        # It grows past where the follow was: the follow goes on from there (docs/logs.md says why).
        fault_agent.content = b'rotated' + b'new\n'
        follower.wait_for(STORED_BYTES + LIVE + b'new\n')
        finish(execution, STORED + 'live 1\nnew\nend\n')
        assert follower.wait_until_finished() == (STORED + 'live 1\nnew\nend\n').encode()
