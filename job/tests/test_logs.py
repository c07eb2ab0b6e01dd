"""The logs endpoint: stored logs once finished, live logs from a real stand-in agent while running."""

import time

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat

from conftest import SandboxAgent
from job.log_stream import UNAVAILABLE
from job.models import JobExecution
from job.tests.factories import make_execution, make_node
from node.sandbox_agent import SandboxRequestHandler, start_in_thread
from scale.tests.timing import MARGIN

pytestmark = pytest.mark.django_db

STDOUT_PATH = '/var/lib/mesos/slaves/S1/frameworks/F1/executors/task-1/runs/latest/stdout'
STDERR_PATH = '/var/lib/mesos/slaves/S1/frameworks/F1/executors/task-1/runs/latest/stderr'


def running_on(node, stdout_url, stderr_url, **fields):
    values = dict(
        status='RUNNING',
        node=node,
        stdout='pre-task out\n',
        stderr='pre-task err\n',
        ended=None,
        current_stdout_url=stdout_url,
        current_stderr_url=stderr_url,
    )
    return make_execution(**{**values, **fields})


def logs(api, execution):
    response = api.get(f'/job-executions/{execution.id}/logs/')
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def agent_node(sandbox_agent):
    sandbox_agent.write(STDOUT_PATH, 'job task out\n')
    sandbox_agent.write(STDERR_PATH, 'job task err\n')
    return make_node(hostname=sandbox_agent.host, port=sandbox_agent.port)


def test_finished_logs_come_from_the_row_with_the_list_fields(api):
    execution = make_execution(status='COMPLETED', stdout='Execution completed.', stderr='')
    body = logs(api, execution)
    assert body['is_finished'] is True and body['stdout'] == 'Execution completed.' and body['stderr'] == ''
    assert body['id'] == execution.id and body['job']['job_type']['name'] == execution.job.job_type.name
    assert 'environment' not in body and 'current_stdout_url' not in body


@pytest.mark.parametrize(
    'status,finished',
    [('QUEUED', False), ('RUNNING', False), ('FAILED', True), ('COMPLETED', True), ('CANCELED', True)],
)
def test_is_finished_follows_the_status(api, status, finished):
    assert logs(api, make_execution(status=status))['is_finished'] is finished


def test_running_logs_are_the_stored_ones_followed_by_the_live_task_logs(api, sandbox_agent, agent_node):
    execution = running_on(agent_node, sandbox_agent.download_url(STDOUT_PATH), sandbox_agent.download_url(STDERR_PATH))
    body = logs(api, execution)
    assert body['is_finished'] is False
    assert body['stdout'] == 'pre-task out\njob task out\n'
    assert body['stderr'] == 'pre-task err\njob task err\n'


def test_live_logs_grow_between_calls(api, sandbox_agent, agent_node):
    execution = running_on(
        agent_node,
        sandbox_agent.download_url(STDOUT_PATH),
        sandbox_agent.download_url(STDERR_PATH),
        stdout=None,
        stderr=None,
    )
    assert logs(api, execution)['stdout'] == 'job task out\n'
    sandbox_agent.write(STDOUT_PATH, 'job task out\nmore\n')
    assert logs(api, execution)['stdout'] == 'job task out\nmore\n'


def test_invalid_utf8_from_the_agent_is_replaced(api, sandbox_agent, agent_node):
    sandbox_agent.write(STDOUT_PATH, b'ok \xff\xfe done')
    execution = running_on(
        agent_node, sandbox_agent.download_url(STDOUT_PATH), sandbox_agent.download_url(STDERR_PATH), stdout=None
    )
    assert logs(api, execution)['stdout'] == 'ok \ufffd\ufffd done'


def test_finished_execution_never_calls_the_agent(api, sandbox_agent, agent_node):
    execution = running_on(
        agent_node, sandbox_agent.download_url(STDOUT_PATH), sandbox_agent.download_url(STDERR_PATH), status='COMPLETED'
    )
    assert logs(api, execution)['stdout'] == 'pre-task out\n'


def test_agent_404_answers_the_stored_logs(api, sandbox_agent, agent_node, caplog):
    execution = running_on(
        agent_node, sandbox_agent.download_url('/no/such/stdout'), sandbox_agent.download_url(STDERR_PATH)
    )
    body = logs(api, execution)
    assert body['stdout'] == 'pre-task out\n'
    assert body['stderr'] == 'pre-task err\njob task err\n'
    assert 'HTTP 404' in caplog.text


def test_agent_down_answers_the_stored_logs(api, closed_port, caplog):
    node = make_node(hostname='127.0.0.1', port=closed_port)
    url = f'http://127.0.0.1:{closed_port}/files/download.json?path={STDOUT_PATH}'
    body = logs(api, running_on(node, url, url))
    assert body['stdout'] == 'pre-task out\n' and body['stderr'] == 'pre-task err\n'
    assert 'Live log unavailable' in caplog.text


def test_hanging_agent_answers_the_stored_logs_within_the_timeout(api, hanging_agent, settings, caplog):
    settings.MESOS_AGENT_TIMEOUT = MARGIN  # long enough that two timeouts in a row cannot pass for one
    node = make_node(hostname='127.0.0.1', port=hanging_agent)
    url = f'http://127.0.0.1:{hanging_agent}/files/download.json?path={STDOUT_PATH}'
    started = time.monotonic()
    body = logs(api, running_on(node, url, url))
    elapsed = time.monotonic() - started
    assert body['stdout'] == 'pre-task out\n' and body['stderr'] == 'pre-task err\n'
    # Both streams are fetched in parallel, so the wait is one timeout, not two.
    assert elapsed < MARGIN + MARGIN, f'took {elapsed:.2f}s'
    assert 'Live log unavailable' in caplog.text


class CountingHandler(SandboxRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


def counting(agent):
    agent.server.requests = []
    agent.server.RequestHandlerClass = CountingHandler
    return agent.server.requests


@pytest.fixture
def other_agent(tmp_path_factory):
    """A second real agent, not the execution's node, holding a file at the same path."""
    root = tmp_path_factory.mktemp('other-sandbox')
    server = start_in_thread(root)
    agent = SandboxAgent(server, root)
    agent.write(STDOUT_PATH, 'OTHER AGENT SECRET\n')
    yield agent
    server.shutdown()
    server.server_close()


# Each URL would be fetched from a listening agent (the node's or another one) by an HTTP client given it as
# it is: only the allow-list stops it.
@pytest.mark.parametrize(
    'make_url',
    [
        lambda node, other: node.download_url(STDOUT_PATH, host='localhost'),  # not the node's hostname
        lambda node, other: other.download_url(STDOUT_PATH),  # another port
        # urllib.parse sees the node after the @; an HTTP client ends the host at the backslash: the other agent
        lambda node, other: (
            f'http://{other.host}:{other.port}\\@{node.host}:{node.port}/files/download.json?path={STDOUT_PATH}'
        ),
        lambda node, other: f'http://scale:secret@{node.host}:{node.port}/files/download.json?path={STDOUT_PATH}',
        lambda node, other: node.download_url(STDOUT_PATH) + '\t',
    ],
)
def test_urls_off_the_node_are_never_fetched(api, sandbox_agent, agent_node, other_agent, make_url, caplog):
    url = make_url(sandbox_agent, other_agent)
    received = counting(sandbox_agent), counting(other_agent)
    execution = running_on(agent_node, url, url)
    body = logs(api, execution)
    assert body['stdout'] == 'pre-task out\n' and body['stderr'] == 'pre-task err\n'
    text = api.get(f'/job-executions/{execution.id}/logs/stdout/')
    assert text.content == b'pre-task out\n' and text['X-Log-Warning'] == UNAVAILABLE
    assert received == ([], [])
    assert 'Live log unavailable' in caplog.text and 'secret' not in caplog.text


def test_clients_get_one_warning_whatever_went_wrong_and_the_log_gets_the_detail(
    api, sandbox_agent, agent_node, closed_port, caplog
):
    """Distinct warnings would make the service a port scanner: "refused" here, "answered 404" there."""
    missing = running_on(agent_node, sandbox_agent.download_url('/no/such/stdout'), None)
    down_node = make_node(hostname='localhost', port=closed_port)
    down = running_on(down_node, f'http://localhost:{closed_port}/files/download.json?path={STDOUT_PATH}', None)
    warnings = [
        api.get(f'/job-executions/{execution.id}/logs/stdout/')['X-Log-Warning'] for execution in (missing, down)
    ]
    assert warnings == [UNAVAILABLE, UNAVAILABLE]
    assert 'HTTP 404' in caplog.text and 'could not be read' in caplog.text


def test_running_without_a_node_answers_the_stored_logs(api, sandbox_agent):
    url = sandbox_agent.download_url(STDOUT_PATH)
    assert logs(api, running_on(None, url, url))['stdout'] == 'pre-task out\n'


def test_logs_are_served_under_v3_and_unknown_ids_are_a_json_404(api):
    execution = make_execution()
    assert api.get(f'/v3/job-executions/{execution.id}/logs/').json()['id'] == execution.id
    response = api.get('/job-executions/424242/logs/')
    assert response.status_code == 404 and response.json()['detail']


class TestCap:
    """The JSON endpoint answers at most LOGS_JSON_MAX_BYTES of each stream: the tail, flagged as cut."""

    def test_stored_logs_over_the_cap_keep_their_tail_and_are_flagged(self, api, settings):
        settings.LOGS_JSON_MAX_BYTES = 10
        body = logs(api, make_execution(stdout='0123456789abcdef', stderr='short'))
        assert body['stdout'] == '6789abcdef' and body['stdout_truncated'] is True
        assert body['stderr'] == 'short' and 'stderr_truncated' not in body

    def test_a_cut_never_splits_a_character(self, api, settings):
        settings.LOGS_JSON_MAX_BYTES = 5
        body = logs(api, make_execution(stdout='x€€'))  # 7 bytes: the cut falls inside the first €
        assert body['stdout'] == '€' and body['stdout_truncated'] is True

    def test_under_the_cap_the_shape_is_scales(self, api, settings):
        settings.LOGS_JSON_MAX_BYTES = 64
        body = logs(api, make_execution(stdout='é' * 32, stderr=None))
        assert body['stdout'] == 'é' * 32 and body['stderr'] is None
        assert 'stdout_truncated' not in body and 'stderr_truncated' not in body

    def test_live_tail_comes_first_and_the_stored_part_fills_the_rest(self, api, sandbox_agent, agent_node, settings):
        settings.LOGS_JSON_MAX_BYTES = 16
        sandbox_agent.write(STDOUT_PATH, 'live-0123456789')  # 15 bytes
        sandbox_agent.write(STDERR_PATH, 'job task err.')  # 13 bytes
        execution = running_on(
            agent_node,
            sandbox_agent.download_url(STDOUT_PATH),
            sandbox_agent.download_url(STDERR_PATH),
            stdout='stored.',
            stderr='pre-task err.',
        )
        body = logs(api, execution)
        assert body['stdout'] == '.live-0123456789' and body['stdout_truncated'] is True
        assert body['stderr'] == 'rr.job task err.' and body['stderr_truncated'] is True

    def test_the_cap_counts_the_bytes_sent_not_the_bytes_stored(self, api, settings):
        """A control character is six bytes of JSON (\\u0001), a quote two: the answer must stay within the cap."""
        settings.LOGS_JSON_MAX_BYTES = 600
        execution = make_execution(stdout='\x01' * 600, stderr='ok' + '"' * 400)
        response = api.get(f'/job-executions/{execution.id}/logs/')
        body = response.json()
        assert body['stdout'] == '\x01' * 100 and body['stdout_truncated'] is True
        assert body['stderr'] == '"' * 300 and body['stderr_truncated'] is True
        assert len(response.content) < 2 * 600 + 2000  # both streams at the cap, plus the execution's fields

    def test_a_stream_whose_json_fits_is_not_cut(self, api, settings):
        settings.LOGS_JSON_MAX_BYTES = 600
        body = logs(api, make_execution(stdout='\x01' * 100, stderr='é' * 300))
        assert body['stdout'] == '\x01' * 100 and body['stderr'] == 'é' * 300
        assert 'stdout_truncated' not in body and 'stderr_truncated' not in body

    def test_a_live_file_over_the_cap_is_read_by_range_to_its_tail(self, api, sandbox_agent, agent_node, settings):
        settings.LOGS_JSON_MAX_BYTES = 100_000
        sandbox_agent.write(STDOUT_PATH, b'a' * 300_000 + b'b' * 100_000)  # several agent reads, tail only
        execution = running_on(
            agent_node, sandbox_agent.download_url(STDOUT_PATH), sandbox_agent.download_url(STDERR_PATH)
        )
        body = logs(api, execution)
        assert body['stdout'] == 'b' * 100_000 and body['stdout_truncated'] is True


def test_a_stream_with_a_url_is_read_live_even_when_the_other_has_none(api, sandbox_agent, agent_node):
    execution = running_on(agent_node, sandbox_agent.download_url(STDOUT_PATH), None)
    body = logs(api, execution)
    assert body['stdout'] == 'pre-task out\njob task out\n' and body['stderr'] == 'pre-task err\n'


@pytest.mark.django_db(transaction=True)
def test_a_task_ending_while_its_live_log_is_read_is_not_answered_twice(api, sandbox_agent, agent_node):
    execution = running_on(agent_node, sandbox_agent.download_url(STDOUT_PATH), None)

    class EndsTheTaskOnItsLastRead(SandboxRequestHandler):
        """As the scheduler does when a task ends: its file is appended to the column and the URL cleared."""

        def do_GET(self):
            if 'offset=-1' not in self.path:  # the read of the bytes, after the one for the size
                JobExecution.objects.filter(pk=execution.pk, current_stdout_url__isnull=False).update(
                    stdout=Concat('stdout', Value('job task out\n')), current_stdout_url=None
                )
                connection.close()
            super().do_GET()

    sandbox_agent.server.RequestHandlerClass = EndsTheTaskOnItsLastRead
    assert logs(api, execution)['stdout'] == 'pre-task out\njob task out\n'
