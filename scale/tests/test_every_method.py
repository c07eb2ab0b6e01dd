"""Every method on every path: a proper answer or a JSON 4xx, never a 5xx and never an HTML error page."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from job.tests.factories import make_full_execution

pytestmark = pytest.mark.django_db

METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'BREW']
# Answers that are meant not to be JSON when they succeed: the schema, its docs page, metrics and static files.
NOT_JSON_WHEN_FINE = ('/api/', '/metrics', '/static/')
UI_PAGES = {'/', '/ui/executions/1/'}  # HTML pages of the UI (ui/)


def concrete_paths(resolver=None, prefix=''):
    """Every path the URL configuration serves, with 1 for each id."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + re.sub(r'\(\?P<\w+>[^)]*\)', '1', str(pattern.pattern)).lstrip('^').rstrip('$')
        if isinstance(pattern, URLResolver):
            yield from concrete_paths(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield '/' + route


PATHS = sorted(set(concrete_paths())) + ['/static/rest_framework/css/bootstrap.min.css', '/no/such/path/']


def test_the_paths_cover_every_endpoint():
    assert {'/job-executions/1/logs/stdout/', '/v3/job-executions/', '/api/docs/', '/readyz'} <= set(PATHS)


@pytest.fixture
def client(settings):
    settings.LOGS_FOLLOW_MAX_SECONDS = 0.2
    make_full_execution(id=1, stdout='out\n')
    # The test client would raise a view's exception; a server answers it, as a 500.
    return Client(raise_request_exception=False)


@pytest.mark.parametrize('tokens', [[], ['a-configured-token-0123456789']], ids=['open', 'tokens'])
@pytest.mark.parametrize('path', PATHS)
def test_every_method_is_answered_without_a_server_error(client, settings, path, tokens):
    settings.API_TOKENS = tokens
    for method in METHODS:
        response = client.generic(method, path)
        assert response.status_code < 500, (method, path, response.status_code)
        content_type = response.get('Content-Type', '')
        if response.status_code >= 400 and method != 'HEAD':
            assert content_type.startswith('application/json'), (method, path, response.status_code, content_type)
            assert response.json()['detail']
        elif (
            response.status_code in (200, 206)
            and method not in ('HEAD', 'OPTIONS')
            and not path.startswith(NOT_JSON_WHEN_FINE)
            and path not in UI_PAGES
        ):
            assert content_type.startswith(('application/json', 'text/plain')), (method, path, content_type)
        if response.status_code == 405:
            assert method not in response['Allow'], (method, path)


def test_options_of_the_docs_page_is_a_json_405(client):
    response = client.options('/api/docs/')
    assert response.status_code == 405 and response.json() == {'detail': 'Method "OPTIONS" not allowed.'}
    assert response['Allow'] == 'GET, HEAD'


def test_an_error_made_json_keeps_the_security_headers(client):
    response = client.post('/healthz')
    assert response.status_code == 405 and response.json() == {'detail': 'Method "POST" not allowed.'}
    assert response['X-Content-Type-Options'] == 'nosniff' and response['X-Frame-Options'] == 'DENY'
    assert response['Allow'] == 'GET, HEAD'
