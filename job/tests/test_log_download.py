"""What the plain-text logs answer for a UI: downloads of a whole stream, where a tail starts, unbuffered follows."""

import pytest

from job.tests.factories import make_execution, make_node

pytestmark = pytest.mark.django_db

TASK_FILE = '/slaves/S1/frameworks/F1/executors/task-2/runs/latest/stdout'


def text(api, execution, stream='stdout', **params):
    return api.get(f'/job-executions/{execution.id}/logs/{stream}/', params)


def body(response):
    return b''.join(response.streaming_content) if response.streaming else response.content


def followed(response):
    """A follow's body, then closed as a server closes it, which gives its slot back (closing ends the request
    and its database connection: transactional tests only)."""
    content = body(response)
    response.close()
    return content


class TestDownload:
    def test_a_download_is_an_attachment_named_after_the_execution_and_stream(self, api):
        execution = make_execution(stdout='out é\n', stderr='err\n')
        for stream, content in [('stdout', 'out é\n'), ('stderr', 'err\n')]:
            response = text(api, execution, stream, download='true')
            assert response.status_code == 200 and response['Content-Type'] == 'text/plain; charset=utf-8'
            assert response['Content-Disposition'] == f'attachment; filename="execution-{execution.id}-{stream}.log"'
            assert body(response) == content.encode()

    def test_without_download_nothing_asks_to_be_saved(self, api):
        response = text(api, make_execution(stdout='x\n'))
        assert 'Content-Disposition' not in response

    def test_a_download_is_the_whole_stream_past_the_answer_cap(self, api, settings):
        settings.LOGS_MAX_BYTES = 10
        log = ''.join(f'line {n} ✓\n' for n in range(50))
        execution = make_execution(stdout=log)
        assert len(text(api, execution).content) <= 10  # a plain read is cut at the cap
        assert body(text(api, execution, download='true')) == log.encode()
        assert body(text(api, execution, download='true', offset=7)) == log.encode()[7:]

    def test_a_download_of_a_running_execution_holds_the_stored_and_the_live_part(self, api, sandbox_agent, settings):
        settings.LOGS_MAX_BYTES = 8
        sandbox_agent.write(TASK_FILE, 'live part of the running task\n')
        node = make_node(hostname=sandbox_agent.host, port=sandbox_agent.port)
        execution = make_execution(
            status='RUNNING',
            ended=None,
            node=node,
            stdout='stored part\n',
            current_stdout_url=sandbox_agent.download_url(TASK_FILE),
        )
        assert body(text(api, execution, download='true')) == b'stored part\nlive part of the running task\n'

    def test_an_empty_stream_downloads_as_an_empty_file(self, api):
        response = text(api, make_execution(stdout=''), download='true')
        assert response.status_code == 200 and body(response) == b''
        assert response['Content-Disposition'].startswith('attachment;')

    def test_a_tail_can_be_downloaded_too(self, api):
        response = text(api, make_execution(stdout='a\nb\nc\n'), tail=1, download='true')
        assert response.content == b'c\n' and response['Content-Disposition'].startswith('attachment;')

    @pytest.mark.parametrize('value', ['perhaps', '2'])
    def test_a_bad_download_value_is_a_400_naming_it(self, api, value):
        response = text(api, make_execution(stdout='x'), download=value)
        assert response.status_code == 400 and 'download' in response.json()


class TestTailStart:
    def test_a_tail_says_where_it_starts(self, api):
        execution = make_execution(stdout='one\ntwo é\nthree\n')
        response = text(api, execution, tail=2)
        start = int(response['X-Log-Start'])
        assert response.content == 'two é\nthree\n'.encode() and start == 4
        earlier = text(api, execution, offset=0, limit=start)
        assert earlier.content + response.content == 'one\ntwo é\nthree\n'.encode()

    def test_a_tail_of_nothing_new_starts_where_it_ends(self, api):
        response = text(api, make_execution(stdout='a\n', status='RUNNING', ended=None), tail=5, offset=2)
        assert response['X-Log-Start'] == response['X-Log-Offset'] == '2'

    def test_an_offset_read_has_no_start_header(self, api):
        assert 'X-Log-Start' not in text(api, make_execution(stdout='a\n'), offset=0)

    @pytest.mark.django_db(transaction=True)
    def test_a_followed_tail_says_where_it_starts(self, api):
        response = text(api, make_execution(stdout='a\nbb\nc\n'), tail=2, follow='true')
        assert response['X-Log-Start'] == response['X-Log-Offset'] == '2'
        assert followed(response) == b'bb\nc\n'


@pytest.mark.django_db(transaction=True)
def test_a_follow_is_neither_buffered_nor_cached_by_proxies(api):
    execution = make_execution(stdout='x\n')
    response = text(api, execution, follow='true')
    assert response['X-Accel-Buffering'] == 'no' and response['Cache-Control'] == 'no-store'
    assert followed(response) == b'x\n'


def test_the_schema_documents_download_and_the_headers(api):
    operation = api.get('/api/schema/', {'format': 'json'}).json()['paths']['/job-executions/{id}/logs/stdout/']['get']
    assert 'download' in {parameter['name'] for parameter in operation['parameters']}
    assert {'X-Log-Start', 'X-Log-Offset', 'Content-Disposition'} <= set(operation['responses']['200']['headers'])
