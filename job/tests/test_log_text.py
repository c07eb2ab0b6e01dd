"""The plain-text log streams: exact byte offsets, tail, limit and follow, against a real stand-in agent."""

import threading
import time

import pytest
from django.db import connection

from job.models import JobExecution
from job.tests.factories import make_execution, make_node
from job.tests.following import PATIENCE, Follower, calls_from_now, failed_agent_calls, while_followed
from scale.tests.timing import MARGIN

pytestmark = pytest.mark.django_db

STDOUT_PATH = '/slaves/S1/frameworks/F1/executors/task-2/runs/latest/stdout'
STORED = 'stored task 1 é\n'


def text(api, execution, stream='stdout', **params):
    return api.get(f'/job-executions/{execution.id}/logs/{stream}/', params)


@pytest.fixture
def agent_node(sandbox_agent):
    return make_node(hostname=sandbox_agent.host, port=sandbox_agent.port)


def running(node, url, stored=STORED):
    return make_execution(
        status='RUNNING',
        node=node,
        stdout=stored,
        stderr=None,
        ended=None,
        current_stdout_url=url,
        current_stderr_url=url,
    )


def finish(execution, stdout):
    """What the scheduler does when the last task ends: the file joins the column and the URLs go."""
    while_followed(
        lambda: JobExecution.objects.filter(pk=execution.pk).update(
            status='COMPLETED', stdout=stdout, current_stdout_url=None, current_stderr_url=None
        )
    )


class TestFinished:
    def test_the_stored_column_is_the_stream(self, api):
        response = text(api, make_execution(stdout='hello é\n'))
        assert response.status_code == 200 and response['Content-Type'] == 'text/plain; charset=utf-8'
        assert response.content == 'hello é\n'.encode() and response['X-Log-Offset'] == '9'
        assert 'X-More-Data' not in response and response['X-Content-Type-Options'] == 'nosniff'

    def test_offsets_are_bytes_and_a_split_character_waits_for_the_next_read(self, api):
        execution = make_execution(stdout='aé€😀z')  # 1 + 2 + 3 + 4 + 1 bytes
        received, offset = b'', 0
        for _ in range(20):
            response = text(api, execution, offset=offset, limit=2)
            if response.status_code == 204:
                break
            received += response.content
            offset = int(response['X-Log-Offset'])
        assert received == 'aé€😀z'.encode() and offset == 11

    def test_a_limit_smaller_than_a_character_sends_that_character_whole(self, api):
        response = text(api, make_execution(stdout='😀x'), limit=1)
        assert response.content == '😀'.encode() and response['X-Log-Offset'] == '4'
        assert response['X-More-Data'] == 'true'

    def test_nothing_at_the_offset_of_a_finished_execution_is_a_204(self, api):
        execution = make_execution(stdout='abc')
        for offset in (3, 10**12):
            response = text(api, execution, offset=offset)
            assert response.status_code == 204 and response.content == b''
        assert text(api, make_execution(stdout=None)).status_code == 204

    def test_a_read_takes_two_small_queries(self, api, django_assert_num_queries):
        execution = make_execution(stdout='x' * 100_000)
        with django_assert_num_queries(2) as queries:  # the row with the column's size, then the slice
            assert len(text(api, execution, offset=10, limit=5).content) == 5
        row_sql = queries.captured_queries[0]['sql']
        for size_sql in ('OCTET_LENGTH("job_exe"."stdout")', 'LENGTH(CAST("job_exe"."stdout" AS BLOB))'):
            row_sql = row_sql.replace(size_sql, '')
        assert '"stdout"' not in row_sql  # the column itself is never loaded whole

    def test_stderr_is_its_own_stream_and_v3_serves_it(self, api):
        execution = make_execution(stdout='out', stderr='err')
        assert api.get(f'/v3/job-executions/{execution.id}/logs/stderr/').content == b'err'

    def test_the_server_maximum_caps_a_larger_limit(self, api, settings):
        settings.LOGS_MAX_BYTES = 4
        response = text(api, make_execution(stdout='0123456789'), limit=1000)
        assert response.content == b'0123' and response['X-More-Data'] == 'true'


class TestTail:
    @pytest.mark.parametrize(
        'lines,expected', [(0, ''), (1, 'c\n'), (2, 'b\nc\n'), (3, 'a\nb\nc\n'), (99, 'a\nb\nc\n')]
    )
    def test_last_lines(self, api, lines, expected):
        execution = make_execution(stdout='a\nb\nc\n')
        response = text(api, execution, tail=lines)
        assert response.content == expected.encode() and response['X-Log-Offset'] == '6'

    def test_a_last_line_without_newline_counts(self, api):
        assert text(api, make_execution(stdout='a\nb\nc'), tail=2).content == b'b\nc'

    def test_limit_keeps_the_end_of_the_tail_on_a_character_boundary(self, api):
        response = text(api, make_execution(stdout='line one\n€€€\n'), tail=5, limit=6)
        assert response.content == '€\n'.encode() and response['X-Log-Offset'] == '19'

    @pytest.mark.parametrize('offset,expected', [(0, 'b\nc\n'), (2, 'b\nc\n'), (4, 'c\n'), (6, ''), (99, '')])
    def test_with_an_offset_only_lines_after_it_count(self, api, offset, expected):
        response = text(api, make_execution(stdout='a\nb\nc\n'), tail=2, offset=offset)
        assert response.content == expected.encode()
        assert response.status_code == (200 if expected else 204)
        assert response['X-Log-Offset'] == str(max(offset, 6))  # never back before where the client already is

    def test_tail_of_a_running_execution_reaches_into_the_live_file(self, api, sandbox_agent, agent_node):
        sandbox_agent.write(STDOUT_PATH, 'live 1\nlive 2\n')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH))
        response = text(api, execution, tail=2)
        assert response.content == b'live 1\nlive 2\n' and response['X-More-Data'] == 'true'
        assert response['X-Log-Offset'] == str(len(STORED.encode()) + 14)


class TestRunning:
    def test_the_stream_is_the_column_then_the_task_file(self, api, sandbox_agent, agent_node):
        sandbox_agent.write(STDOUT_PATH, 'live ✓\n')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH))
        response = text(api, execution)
        assert response.content == (STORED + 'live ✓\n').encode() and response['X-More-Data'] == 'true'
        stored = len(STORED.encode())
        response = text(api, execution, offset=stored + 5)
        assert response.content == '✓\n'.encode() and response['X-Log-Offset'] == str(stored + 9)

    def test_an_agent_that_requires_credentials_is_read_with_the_configured_ones(
        self, api, start_sandbox_agent, settings, caplog
    ):
        agent = start_sandbox_agent(credentials=('scale-logs', 'agent-s3cret'))
        agent.write(STDOUT_PATH, 'live\n')
        execution = running(make_node(hostname=agent.host, port=agent.port), agent.download_url(STDOUT_PATH))
        refused = text(api, execution)
        assert refused.content == STORED.encode() and 'live log unavailable' in refused['X-Log-Warning']
        assert 'requires credentials; set MESOS_AGENT_PRINCIPAL and MESOS_AGENT_SECRET' in caplog.text
        settings.MESOS_AGENT_PRINCIPAL, settings.MESOS_AGENT_SECRET = 'scale-logs', 'agent-s3cret'
        response = text(api, execution)
        assert response.content == (STORED + 'live\n').encode() and 'X-Log-Warning' not in response

    def test_nothing_new_yet_is_an_empty_200_that_says_more_is_coming(self, api, sandbox_agent, agent_node):
        sandbox_agent.write(STDOUT_PATH, '')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH), stored='')
        response = text(api, execution, offset=0)
        assert response.status_code == 200 and response.content == b''
        assert response['X-More-Data'] == 'true' and response['X-Log-Offset'] == '0'

    def test_a_character_split_at_the_end_of_the_file_waits(self, api, sandbox_agent, agent_node):
        sandbox_agent.write(STDOUT_PATH, b'ok \xe2\x82')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH), stored='')
        response = text(api, execution)
        assert response.content == b'ok ' and response['X-Log-Offset'] == '3'
        sandbox_agent.write(STDOUT_PATH, b'ok \xe2\x82\xac!')
        assert text(api, execution, offset=3).content == '€!'.encode()

    def test_invalid_bytes_are_replaced_and_still_counted_as_bytes(self, api, sandbox_agent, agent_node):
        sandbox_agent.write(STDOUT_PATH, b'ok \xff\xfe done')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH), stored='')
        response = text(api, execution)
        assert response.content == 'ok \ufffd\ufffd done'.encode() and response['X-Log-Offset'] == '10'

    @pytest.mark.parametrize('agent', ['down', 'missing file', 'off the node'])
    def test_an_unreadable_agent_answers_the_stored_part_and_says_why(
        self, api, agent, sandbox_agent, agent_node, closed_port
    ):
        urls = {
            'down': f'http://127.0.0.1:{closed_port}/files/download.json?path=/x',
            'missing file': sandbox_agent.download_url('/no/such/file'),
            'off the node': sandbox_agent.download_url(STDOUT_PATH, host='localhost'),
        }
        if agent == 'down':
            agent_node.port = closed_port
            agent_node.save()
        response = text(api, running(agent_node, urls[agent]))
        assert response.status_code == 200 and response.content == STORED.encode()
        assert response['X-More-Data'] == 'true' and 'live log unavailable' in response['X-Log-Warning']

    def test_a_hanging_agent_answers_within_the_timeout(self, api, hanging_agent, settings):
        settings.MESOS_AGENT_TIMEOUT = 0.3
        node = make_node(hostname='127.0.0.1', port=hanging_agent)
        started = time.monotonic()
        response = text(api, running(node, f'http://127.0.0.1:{hanging_agent}/files/download.json?path=/x'))
        assert response.content == STORED.encode() and time.monotonic() - started < 0.3 + MARGIN


class TestParameters:
    @pytest.mark.parametrize(
        'params',
        [
            {'offset': -1},
            {'offset': 'abc'},
            {'offset': '1.5'},
            {'offset': str(2**63)},
            {'offset': '9' * 2000},
            {'tail': -1},
            {'tail': 'x'},
            {'limit': 0},
            {'limit': -5},
            {'limit': str(10**30)},
            {'follow': 'perhaps'},
        ],
    )
    def test_bad_parameters_are_a_json_400(self, api, params):
        response = text(api, make_execution(), **params)
        assert response.status_code == 400 and response['Content-Type'] == 'application/json'

    def test_errors_are_json_even_for_a_client_that_accepts_only_text(self, api):
        response = api.get('/job-executions/424242/logs/stdout/', HTTP_ACCEPT='text/plain')
        assert response.status_code == 404 and response.json()['detail']


def write_slowly(sandbox_agent, pieces, pause=0.005):
    """Append `pieces` to the task file one by one, as a running task would."""

    def append_all():
        path = sandbox_agent.root / STDOUT_PATH.lstrip('/')
        for piece in pieces:
            with open(path, 'ab') as file:
                file.write(piece)
            time.sleep(pause)

    writer = threading.Thread(target=append_all)
    writer.start()
    return writer


# Multibyte characters split across appends, so reads land inside them.
PIECES = [
    part
    for n in range(20)
    for line in [f'line {n:02} é€😀\n'.encode()]
    for part in (line[:9], line[9:12], line[12:15], line[15:])
]


def move_agent(execution, node, port):
    """The execution's agent is now the one on `port`: its node and its live URL say so."""
    node.port = port
    while_followed(node.save)
    while_followed(
        lambda: JobExecution.objects.filter(pk=execution.pk).update(
            current_stdout_url=f'http://{node.hostname}:{port}/files/download.json?path={STDOUT_PATH}'
        )
    )


@pytest.fixture
def fast_follow(settings):
    settings.LOGS_FOLLOW_POLL_SECONDS = 0.005
    settings.LOGS_FOLLOW_MAX_SECONDS = PATIENCE  # long enough for a busy machine: these follows end with the execution
    settings.MESOS_AGENT_TIMEOUT = 0.5
    settings.LOGS_THROTTLE_RATE = '100000/min'  # a poller calls far more often than a person


@pytest.mark.django_db(transaction=True)
class TestWhileWriting:
    def test_an_offset_poller_gets_every_byte_once(self, api, sandbox_agent, agent_node, fast_follow):
        sandbox_agent.write(STDOUT_PATH, b'')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH))
        expected = STORED.encode() + b''.join(PIECES)
        writer = write_slowly(sandbox_agent, PIECES)
        received, offset = b'', 0
        for _ in range(5000):
            response = text(api, execution, offset=offset, limit=7)
            if response.status_code == 204:
                break
            received += response.content
            offset = int(response['X-Log-Offset'])
            if received == expected and not writer.is_alive():
                finish(execution, expected.decode())
        assert received == expected and response.status_code == 204

    def test_a_follower_gets_every_byte_once_and_stops_when_finished(self, api, sandbox_agent, agent_node, fast_follow):
        sandbox_agent.write(STDOUT_PATH, b'')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH))
        expected = STORED.encode() + b''.join(PIECES)
        writer = write_slowly(sandbox_agent, PIECES)
        response = text(api, execution, follow='true')
        assert response.streaming and response['X-Log-Offset'] == '0'
        received = b''
        for chunk in response.streaming_content:
            received += chunk
            if received == expected:
                writer.join()
                finish(execution, expected.decode())
        assert received == expected

    def test_follow_survives_an_agent_that_goes_away_and_ends_with_the_stored_logs(
        self, api, sandbox_agent, agent_node, fast_follow
    ):
        sandbox_agent.write(STDOUT_PATH, 'before the agent went away\n')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH))
        follower = Follower(text(api, execution, follow='true'))
        follower.wait_for((STORED + 'before the agent went away\n').encode())
        failed = calls_from_now(failed_agent_calls)
        sandbox_agent.server.shutdown()  # the agent is down mid-follow
        sandbox_agent.server.server_close()
        follower.wait_while_following(lambda: failed() >= 2, 'the follow asked the agent that is down twice')
        finish(execution, STORED + 'before the agent went away\nand after\n')
        assert follower.wait_until_finished() == (STORED + 'before the agent went away\nand after\n').encode()

    def test_follow_survives_an_agent_that_hangs_mid_follow_and_goes_on_when_it_answers_again(
        self, api, sandbox_agent, agent_node, hanging_agent, fast_follow, settings
    ):
        settings.MESOS_AGENT_TIMEOUT = 0.1
        sandbox_agent.write(STDOUT_PATH, 'first\n')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH))
        follower = Follower(text(api, execution, follow='true'))
        follower.wait_for((STORED + 'first\n').encode())
        failed = calls_from_now(failed_agent_calls)
        move_agent(execution, agent_node, hanging_agent)  # it now accepts connections and never answers
        follower.wait_while_following(lambda: failed() >= 2, 'two polls timed out against the hanging agent')
        assert follower.received == (STORED + 'first\n').encode()

        sandbox_agent.write(STDOUT_PATH, 'first\nsecond\n')
        move_agent(execution, agent_node, sandbox_agent.port)  # it answers again
        follower.wait_for((STORED + 'first\nsecond\n').encode())
        finish(execution, STORED + 'first\nsecond\nthird\n')
        assert follower.wait_until_finished() == (STORED + 'first\nsecond\nthird\n').encode()

    def test_follow_through_a_missing_file_then_the_next_task(self, api, sandbox_agent, agent_node, fast_follow):
        execution = running(agent_node, sandbox_agent.download_url('/not/yet/there'))
        chunks = iter(text(api, execution, follow='true').streaming_content)
        assert next(chunks) == STORED.encode()
        sandbox_agent.write(STDOUT_PATH, 'task 2\n')  # the next task starts: the stored column grows
        JobExecution.objects.filter(pk=execution.pk).update(
            stdout=STORED + 'task 1 end\n', current_stdout_url=sandbox_agent.download_url(STDOUT_PATH)
        )
        received = next(chunks)
        while len(received) < len(b'task 1 end\ntask 2\n'):
            received += next(chunks)
        assert received == b'task 1 end\ntask 2\n'
        finish(execution, STORED + 'task 1 end\ntask 2\n')
        assert list(chunks) == []

    def test_follow_ends_after_the_maximum_time(self, api, hanging_agent, fast_follow, settings):
        settings.LOGS_FOLLOW_MAX_SECONDS = 0.3
        settings.MESOS_AGENT_TIMEOUT = 0.1
        node = make_node(hostname='127.0.0.1', port=hanging_agent)
        execution = running(node, f'http://127.0.0.1:{hanging_agent}/files/download.json?path=/x')
        started = time.monotonic()
        received = b''.join(text(api, execution, follow='true').streaming_content)
        # The maximum time, plus at most one poll's agent timeout, plus the margin.
        assert received == STORED.encode() and time.monotonic() - started < 0.3 + 0.1 + MARGIN

    def test_follow_with_tail_and_limit(self, api, fast_follow):
        execution = make_execution(stdout='a\nb\nc\n')
        assert b''.join(text(api, execution, follow='true', tail=2).streaming_content) == b'b\nc\n'
        assert b''.join(text(api, execution, follow='true', limit=3).streaming_content) == b'a\nb'

    def test_the_follower_holds_no_database_connection_between_polls(self, api, sandbox_agent, agent_node, fast_follow):
        sandbox_agent.write(STDOUT_PATH, 'x')
        execution = running(agent_node, sandbox_agent.download_url(STDOUT_PATH), stored='')
        chunks = iter(text(api, execution, follow='true').streaming_content)
        assert next(chunks) == b'x'
        if connection.vendor == 'postgresql':  # an in-memory SQLite database is never closed
            assert connection.connection is None
        finish(execution, 'x')
        assert list(chunks) == []


# Transactional: closing an answer ends its request, which closes a connection left inside a test transaction.
@pytest.mark.django_db(transaction=True)
class TestFollowSlots:
    def test_past_the_maximum_a_follow_is_a_json_503_until_one_ends(self, api, settings):
        settings.LOGS_FOLLOW_MAX_CONCURRENT = 1
        settings.LOGS_FOLLOW_MAX_SECONDS = 0.2
        execution = make_execution(status='RUNNING', stdout='so far\n')
        holding = text(api, execution, follow='true')
        refused = text(api, execution, follow='true')
        assert refused.status_code == 503 and refused['Retry-After'] == '5' and 'followed' in refused.json()['detail']
        assert b''.join(holding.streaming_content) == b'so far\n'
        holding.close()  # what the server does when the answer is over
        again = text(api, execution, follow='true')
        assert again.status_code == 200
        again.close()

    def test_a_follow_closed_before_it_was_read_gives_its_slot_back(self, api, settings):
        settings.LOGS_FOLLOW_MAX_CONCURRENT = 1
        execution = make_execution(status='RUNNING', stdout='x')
        text(api, execution, follow='true').close()
        response = text(api, execution, follow='true')
        assert response.status_code == 200
        response.close()

    def test_one_client_holds_at_most_its_share_of_the_follows(self, api, settings):
        settings.LOGS_FOLLOW_MAX_CONCURRENT, settings.LOGS_FOLLOW_MAX_PER_CLIENT = 4, 2
        execution = make_execution(status='RUNNING', stdout='x')
        url = f'/job-executions/{execution.id}/logs/stdout/?follow=true'
        first = [api.get(url, REMOTE_ADDR='192.0.2.1') for _ in range(2)]
        refused = api.get(url, REMOTE_ADDR='192.0.2.1')
        assert refused.status_code == 503 and 'This client' in refused.json()['detail']
        other = api.get(url, REMOTE_ADDR='192.0.2.2')
        assert [response.status_code for response in (*first, other)] == [200, 200, 200]
        first[0].close()
        again = api.get(url, REMOTE_ADDR='192.0.2.1')
        assert again.status_code == 200
        for response in (first[1], other, again):
            response.close()
