"""One structured line per request with its request id, and agent fetch failures logged with the same id."""

import json
import logging
import time

import pytest
import requests

from job.tests.factories import make_execution, make_node

pytestmark = pytest.mark.django_db


def request_lines(caplog):
    return [record for record in caplog.records if getattr(record, 'event', None) == 'request']


def test_each_request_logs_one_line_and_answers_its_request_id(api, caplog):
    caplog.set_level(logging.INFO, logger='scale.requests')
    response = api.get('/job-executions/999999/', {'x': '1'})
    [line] = request_lines(caplog)
    assert (line.method, line.path, line.query, line.status) == ('GET', '/job-executions/999999/', 'x=1', 404)
    assert response['X-Request-ID'] == line.request_id and len(line.request_id) == 32


@pytest.mark.parametrize('offered, kept', [('lb-1234.abcd', True), ('bad id\nwith newline', False), ('x' * 129, False)])
def test_a_clients_request_id_is_kept_only_if_it_looks_like_one(api, caplog, offered, kept):
    response = api.get('/healthz', HTTP_X_REQUEST_ID=offered)
    assert (response['X-Request-ID'] == offered) is kept


def test_the_duration_is_the_time_spent_serving_in_milliseconds(api, hanging_agent, caplog, settings):
    caplog.set_level(logging.INFO, logger='scale.requests')
    settings.MESOS_AGENT_TIMEOUT = 0.3  # the request waits this long on an agent that never answers
    node = make_node(hostname='127.0.0.1', port=hanging_agent)
    url = f'http://127.0.0.1:{hanging_agent}/files/download.json?path=/stdout'
    execution = make_execution(status='RUNNING', ended=None, node=node, current_stdout_url=url, current_stderr_url=url)
    started = time.monotonic()
    api.get(f'/job-executions/{execution.id}/logs/')
    elapsed_ms = (time.monotonic() - started) * 1000
    [line] = request_lines(caplog)
    assert 300 <= line.duration_ms <= elapsed_ms + 0.1  # 0.1: the log rounds to a tenth


def test_an_agent_failure_is_logged_with_the_request_id(api, closed_port, caplog):
    node = make_node(hostname='127.0.0.1', port=closed_port)
    url = f'http://127.0.0.1:{closed_port}/files/download.json?path=/stdout'
    execution = make_execution(status='RUNNING', ended=None, node=node, current_stdout_url=url, current_stderr_url=url)
    response = api.get(f'/job-executions/{execution.id}/logs/', HTTP_X_REQUEST_ID='req-42')
    failures = [r for r in caplog.records if getattr(r, 'event', None) == 'agent_fetch_failed']
    assert len(failures) == 2 and response.status_code == 200
    assert {(r.url, r.request_id) for r in failures} == {(url, 'req-42')}


def test_the_server_writes_json_lines_to_stdout(start_gunicorn):
    base = start_gunicorn()
    started = time.monotonic()
    requests.get(f'{base}/healthz', headers={'X-Request-ID': 'from-test-1'}, timeout=5)
    elapsed_ms = (time.monotonic() - started) * 1000
    server = start_gunicorn.servers[-1]
    start_gunicorn.stop(server)
    output = server.output_path.read_text().splitlines()
    [line] = [json.loads(raw) for raw in output if raw.startswith('{') and 'from-test-1' in raw]
    assert (line['event'], line['method'], line['path'], line['status']) == ('request', 'GET', '/healthz', 200)
    assert line['level'] == 'INFO' and line['logger'] == 'scale.requests' and 'time' in line
    assert type(line['duration_ms']) is float and 0 <= line['duration_ms'] <= elapsed_ms + 0.1
    assert type(line['pid']) is int and line['pid'] != server.pid  # a worker served it, not the arbiter
