"""Optional API tokens, secure headers and CORS."""

import pytest

from job.tests.factories import make_execution

pytestmark = pytest.mark.django_db

TOKEN = 'test-token-0123456789'


@pytest.fixture
def tokens_required(settings):
    settings.API_TOKENS = [TOKEN, 'another-token-0123456789']


def test_without_configured_tokens_the_api_is_open(api):
    assert api.get('/job-executions/').status_code == 200


@pytest.mark.parametrize(
    'url', ['/job-executions/', '/job-executions/1/', '/job-executions/1/logs/', '/v3/job-executions/']
)
def test_with_tokens_configured_a_request_without_one_is_401_json(api, tokens_required, url):
    response = api.get(url)
    assert response.status_code == 401
    assert response.json() == {'detail': 'Authentication credentials were not provided.'}
    assert response['WWW-Authenticate'] == 'Token'


@pytest.mark.parametrize('header', [f'Token {TOKEN}', f'Bearer {TOKEN}', 'bearer another-token-0123456789'])
def test_a_configured_token_opens_every_endpoint(api, tokens_required, header):
    execution = make_execution()
    api.credentials(HTTP_AUTHORIZATION=header)
    for url in ('/job-executions/', f'/job-executions/{execution.id}/', f'/job-executions/{execution.id}/logs/'):
        assert api.get(url).status_code == 200, url


@pytest.mark.parametrize('header', ['Token wrong-token-0123456789', f'Basic {TOKEN}', f'Token {TOKEN}x'])
def test_an_unknown_token_is_refused(api, tokens_required, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    assert api.get('/job-executions/').status_code == 401


@pytest.mark.parametrize('url', ['/healthz', '/readyz', '/api/schema/', '/api/docs/'])
def test_health_and_api_description_stay_open(api, tokens_required, url):
    assert api.get(url).status_code == 200


def test_answers_carry_secure_headers(api):
    response = api.get('/job-executions/')
    assert response['X-Content-Type-Options'] == 'nosniff'
    assert response['X-Frame-Options'] == 'DENY'
    assert response['Referrer-Policy'] == 'same-origin'


def test_cors_allows_only_configured_origins(api, settings):
    settings.CORS_ALLOWED_ORIGINS = ['https://ui.example.com']
    preflight = dict(
        HTTP_ORIGIN='https://ui.example.com',
        HTTP_ACCESS_CONTROL_REQUEST_METHOD='GET',
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS='authorization',
    )
    allowed = api.options('/job-executions/', **preflight)
    assert allowed['Access-Control-Allow-Origin'] == 'https://ui.example.com'
    assert 'authorization' in allowed['Access-Control-Allow-Headers']
    simple = api.get('/job-executions/', HTTP_ORIGIN='https://ui.example.com')
    assert simple['Access-Control-Allow-Origin'] == 'https://ui.example.com'
    assert simple['Access-Control-Expose-Headers'] == 'X-Request-ID'
    other = api.get('/job-executions/', HTTP_ORIGIN='https://evil.example.com')
    assert 'Access-Control-Allow-Origin' not in other
