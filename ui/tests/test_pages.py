"""The UI's pages as HTTP answers: no data in them, a strict Content-Security-Policy, open without a token."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize('path', ['/', '/ui/executions/7/'])
def test_a_page_forbids_inline_and_foreign_script(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response['Content-Type'].startswith('text/html')
    policy = dict(part.strip().split(' ', 1) for part in response['Content-Security-Policy'].split(';'))
    assert policy['script-src'] == "'self'" and policy['default-src'] == "'none'"
    assert "'unsafe-inline'" not in response['Content-Security-Policy'] and 'unsafe-eval' not in policy['script-src']
    assert b'<script>' not in response.content  # every script is a file


def test_pages_hold_no_data_and_need_no_token(client, settings):
    settings.API_TOKENS = ['a-token-of-16-characters']
    response = client.get('/ui/executions/7/')
    assert response.status_code == 200 and b'data-execution-id="7"' in response.content
    assert client.get('/job-executions/7/').status_code == 401  # the data stays behind the token


def test_the_page_says_how_often_to_poll(client, settings):
    settings.UI_REFRESH_SECONDS = 2.5
    settings.UI_LOG_MAX_LINES = 1234
    html = client.get('/').content.decode()
    assert 'data-refresh-ms="2500"' in html and 'data-log-max-lines="1234"' in html


@pytest.mark.parametrize('path', ['/ui/executions/x/', '/ui/executions/1234567890123456789/', '/ui/'])
def test_other_paths_are_json_404s(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response['Content-Type'] == 'application/json'


def test_pages_only_answer_reads(client):
    assert client.head('/').status_code == 200
    refused = client.post('/')
    assert refused.status_code == 405 and refused['Allow'] == 'GET, HEAD' and 'POST' in refused.json()['detail']


def test_the_list_page_preloads_the_api_request_its_script_makes_first(client, settings):
    # Names in the script's order, the first of a single value, no empty or unknown ones, encoded as the script does.
    html = client.get('/?status=FAILED&status=&node_id=1&page_size=25&page_size=50&order=-id&job_type_name=a+b~*&x=1')
    assert (
        '<link rel="preload" as="fetch" href="/job-executions/?status=FAILED&amp;job_type_name=a+b%7E*&amp;node_id=1'
        '&amp;order=-id&amp;page_size=25" crossorigin>'
    ) in html.content.decode()
    assert '<link rel="preload" as="fetch" href="/job-executions/" crossorigin>' in client.get('/').content.decode()

    settings.API_TOKENS = ['a-token-of-16-characters']  # a preload cannot carry the token
    assert 'rel="preload"' not in client.get('/').content.decode()
