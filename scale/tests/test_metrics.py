"""Prometheus /metrics: requests, latency and errors per view, database time, and agent fetches."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from job.tests.factories import make_execution, make_node

pytestmark = pytest.mark.django_db


def samples(body, name, **labels):
    """The values of every sample called `name` whose labels include `labels`."""
    return [
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    ]


def test_metrics_show_requests_by_view_database_time_and_agent_fetches(api, sandbox_agent, closed_port):
    execution = make_execution()
    sandbox_agent.write('/sandbox/stdout', 'out')
    node = make_node(hostname='127.0.0.1', port=sandbox_agent.port)
    running = make_execution(
        status='RUNNING',
        ended=None,
        node=node,
        current_stdout_url=sandbox_agent.download_url('/sandbox/stdout', host='127.0.0.1'),
        current_stderr_url=f'http://127.0.0.1:{closed_port}/files/download.json?path=/x',
    )
    before = api.get('/metrics').content.decode()
    api.get(f'/job-executions/{execution.id}/')
    api.get('/job-executions/999999/')
    assert api.get(f'/job-executions/{running.id}/logs/').status_code == 200
    body = api.get('/metrics').content.decode()

    def change(name, **labels):  # the registry is the test process's: earlier tests counted too
        return sum(samples(body, name, **labels)) - sum(samples(before, name, **labels))

    details = {'method': 'GET', 'view': 'job-execution-details'}
    assert change('django_http_requests_latency_seconds_by_view_method_count', **details) == 2
    assert change('django_http_responses_total_by_status_view_method_total', status='404', **details) == 1
    assert change('django_db_query_duration_seconds_count', alias='default') > 0
    # stdout was read in two calls (its size, then its bytes); stderr's agent was down at the first call.
    assert change('scale_agent_fetches_total', outcome='ok') == 2
    assert change('scale_agent_fetches_total', outcome='failed') == 1
    assert change('scale_agent_fetch_duration_seconds_count') == 3
    assert change('scale_agent_fetch_duration_seconds_bucket', le='+Inf') == 3


def test_metrics_need_a_token_when_tokens_are_configured(api, settings):
    settings.API_TOKENS = ['metrics-token-0123456789']
    refused = api.get('/metrics')
    assert refused.status_code == 401
    assert refused.json() == {'detail': 'Authentication credentials were not provided.'}
    assert api.get('/metrics', HTTP_AUTHORIZATION='Bearer metrics-token-0123456789').status_code == 200


def served_by(log_path, request_ids):
    """{request id: pid of the worker that logged serving it}, from the server's JSON log lines."""
    lines = [json.loads(raw) for raw in log_path.read_text().splitlines() if raw.startswith('{')]
    return {
        line['request_id']: line['pid']
        for line in lines
        if line.get('event') == 'request' and line['request_id'] in request_ids
    }


def test_make_serve_adds_up_every_workers_metrics_without_a_metrics_variable(start_gunicorn, tmp_path):
    # As a new user runs it: `make serve`, no PROMETHEUS_MULTIPROC_DIR, the defaults but two workers.
    base = start_gunicorn(
        make_serve=True,
        PROMETHEUS_MULTIPROC_DIR=None,
        WEB_CONCURRENCY='2',
        DATABASE_URL=f'sqlite:///{tmp_path / "serve.sqlite3"}',
    )
    log_path = start_gunicorn.servers[-1].output_path
    made = []

    def ready(number):
        request_id = f'metrics-{number}'
        requests.get(f'{base}/readyz', headers={'X-Request-ID': request_id}, timeout=30)
        return request_id

    # Concurrent requests on fresh connections spread over the workers; go on until two have served some.
    with ThreadPoolExecutor(8) as clients:
        for _ in range(50):
            made += clients.map(ready, range(len(made), len(made) + 16))
            workers = set(served_by(log_path, set(made)).values())
            if len(workers) > 1:
                break
    assert len(workers) > 1, f'one worker served all {len(made)} requests'
    assert sorted(served_by(log_path, set(made))) == sorted(made)  # every request was logged once

    body = requests.get(f'{base}/metrics', timeout=30).text
    counted = samples(body, 'django_http_requests_latency_seconds_by_view_method_count', view='readyz')
    assert sum(counted) == len(made)
