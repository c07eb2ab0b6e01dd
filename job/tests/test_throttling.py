"""The logs endpoints share one per-client budget; past it, a JSON 429 says when to come back."""

import pytest

from job.tests.factories import make_execution

pytestmark = pytest.mark.django_db

LOGS_PATHS = ['/job-executions/{id}/logs/', '/job-executions/{id}/logs/stdout/', '/v3/job-executions/{id}/logs/stderr/']


def test_calls_past_the_rate_get_a_json_429_with_retry_after(api, settings):
    settings.LOGS_THROTTLE_RATE = '3/min'
    execution = make_execution()
    answers = [api.get(path.format(id=execution.id)) for path in LOGS_PATHS]
    assert [answer.status_code for answer in answers] == [200, 200, 204]  # stderr is empty
    response = api.get(f'/job-executions/{execution.id}/logs/stdout/')
    assert response.status_code == 429 and response['Content-Type'] == 'application/json'
    assert 0 < int(response['Retry-After']) <= 60 and 'throttled' in response.json()['detail']


def test_each_client_has_its_own_budget(api, settings):
    settings.LOGS_THROTTLE_RATE = '1/min'
    execution = make_execution()
    assert api.get(f'/job-executions/{execution.id}/logs/', REMOTE_ADDR='10.0.0.1').status_code == 200
    assert api.get(f'/job-executions/{execution.id}/logs/', REMOTE_ADDR='10.0.0.1').status_code == 429
    assert api.get(f'/job-executions/{execution.id}/logs/', REMOTE_ADDR='10.0.0.2').status_code == 200


def test_other_endpoints_are_not_throttled(api, settings):
    settings.LOGS_THROTTLE_RATE = '1/min'
    execution = make_execution()
    for _ in range(3):
        assert api.get(f'/job-executions/{execution.id}/').status_code == 200


def test_a_cache_that_is_down_does_not_fail_the_logs(api, settings, closed_port, caplog):
    settings.CACHES = {
        'default': {
            'BACKEND': 'django.core.cache.backends.redis.RedisCache',
            'LOCATION': f'redis://127.0.0.1:{closed_port}/0',
            'OPTIONS': {'socket_connect_timeout': 0.5, 'socket_timeout': 0.5},
        }
    }
    execution = make_execution(stdout='out')
    assert api.get(f'/job-executions/{execution.id}/logs/').status_code == 200
    assert api.get(f'/job-executions/{execution.id}/logs/stdout/').content == b'out'
    assert 'Logs throttle not applied' in caplog.text


def test_a_forwarded_for_header_does_not_buy_a_fresh_budget(api, settings):
    settings.LOGS_THROTTLE_RATE = '2/min'
    execution = make_execution()
    answers = [
        api.get(f'/job-executions/{execution.id}/logs/', HTTP_X_FORWARDED_FOR=f'10.0.0.{n}').status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 429, 429]


def test_with_tokens_each_token_has_its_own_budget_wherever_it_comes_from(api, settings):
    settings.LOGS_THROTTLE_RATE = '1/min'
    settings.API_TOKENS = ['first-token-0123456789', 'second-token-0123456789']
    url = f'/job-executions/{make_execution().id}/logs/'

    def status(token, address):
        return api.get(url, HTTP_AUTHORIZATION=f'Token {token}', REMOTE_ADDR=address).status_code

    assert status('first-token-0123456789', '10.0.0.1') == 200
    assert status('first-token-0123456789', '10.0.0.2') == 429  # the same token from elsewhere
    assert status('second-token-0123456789', '10.0.0.1') == 200  # another token from the same address


def test_behind_one_proxy_the_client_is_the_address_it_appends(api, settings):
    """NUM_PROXIES=1: X-Forwarded-For's last address, which the proxy adds; what a client wrote before it is ignored."""
    settings.LOGS_THROTTLE_RATE = '1/min'
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, 'NUM_PROXIES': 1}
    url = f'/job-executions/{make_execution().id}/logs/'

    def status(forwarded_for):
        return api.get(url, REMOTE_ADDR='127.0.0.1', HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert status('203.0.113.7') == 200
    assert status('198.51.100.1, 203.0.113.7') == 429  # a made-up first address does not buy a new budget
    assert status('203.0.113.8') == 200
