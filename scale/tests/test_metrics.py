"""Prometheus /metrics: requests, latency and errors per view, database time, and agent fetches."""
import pytest
import requests

from job.tests.factories import make_execution

pytestmark = pytest.mark.django_db


def test_metrics_show_requests_by_view_database_time_and_agent_fetches(api):
    execution = make_execution()
    api.get(f'/job-executions/{execution.id}/')
    api.get('/job-executions/999999/')
    body = api.get('/metrics').content.decode()
    assert 'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="job-execution-details"}' in body
    assert 'django_http_responses_total_by_status_view_method_total{method="GET",status="404",view="job-execution-details"}' in body
    assert 'django_db_query_duration_seconds_count{alias="default"' in body
    assert 'scale_agent_fetches_total' in body
    assert 'scale_agent_fetch_duration_seconds_bucket' in body


def test_metrics_need_a_token_when_tokens_are_configured(api, settings):
    settings.API_TOKENS = ['metrics-token-0123456789']
    refused = api.get('/metrics')
    assert refused.status_code == 401
    assert refused.json() == {'detail': 'Authentication credentials were not provided.'}
    assert api.get('/metrics', HTTP_AUTHORIZATION='Bearer metrics-token-0123456789').status_code == 200


def test_metrics_add_up_across_gunicorn_workers(start_gunicorn):
    base = start_gunicorn(WEB_CONCURRENCY='2')
    for _ in range(6):
        requests.get(f'{base}/healthz', timeout=5)
    body = requests.get(f'{base}/metrics', timeout=5).text
    line = next(line for line in body.splitlines()
                if line.startswith('django_http_requests_latency_seconds_by_view_method_count{')
                and 'view="healthz"' in line)
    assert float(line.rsplit(' ', 1)[1]) >= 6  # plus the start-up probes, whichever worker answered
