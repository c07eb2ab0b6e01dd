"""A database that cannot be reached is the server's trouble: every API endpoint answers 503 JSON, quickly."""

import pytest
import requests

from scale.tests.timing import MARGIN

API_PATHS = [
    '/job-executions/',
    '/job-executions/1/',
    '/job-executions/1/logs/',
    '/job-executions/1/logs/stdout/',
    '/v3/job-executions/?status=RUNNING',
]


def assert_database_unavailable(response):
    assert response.status_code == 503, response.text
    assert response.headers['Content-Type'].startswith('application/json')
    assert response.headers['Retry-After'] == '5'
    assert response.json() == {'detail': 'The database is unavailable; try again later.'}


@pytest.mark.parametrize('path', API_PATHS)
def test_a_refused_database_connection_answers_503_json(start_gunicorn, closed_port, path):
    base = start_gunicorn(DATABASE_URL=f'postgres://nobody@127.0.0.1:{closed_port}/scale')
    assert_database_unavailable(requests.get(f'{base}{path}', headers={'Accept': 'text/html'}, timeout=10))


def test_a_database_that_hangs_answers_503_within_the_connect_timeout(start_gunicorn, hanging_agent):
    base = start_gunicorn(
        DATABASE_URL=f'postgres://nobody@127.0.0.1:{hanging_agent}/scale', DATABASE_CONNECT_TIMEOUT='1'
    )
    response = requests.get(f'{base}/job-executions/', timeout=10)
    assert_database_unavailable(response)
    assert response.elapsed.total_seconds() < 1 + MARGIN  # the connect timeout, plus the margin
