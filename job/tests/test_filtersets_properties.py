"""Arbitrary query strings against the list, on the real database: a 200 or a JSON 4xx, never a 5xx."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from job.tests.factories import make_full_execution
from scale.tests.iso8601 import date_times

PARAMETERS = [
    'page',
    'page_size',
    'started',
    'ended',
    'status',
    'job_type_id',
    'job_type_name',
    'job_type_category',
    'node_id',
    'order',
]
hostile_text = st.one_of(
    st.text(max_size=30),
    date_times(),
    st.sampled_from(
        [
            '\x00',
            '-1',
            '0',
            '99999999999999999999999',
            'P99999999999D',
            '0001-01-01T00:00:00+14:00',
            'job__job__job',
            '-',
            '--id',
            'x' * 5000,
            '\udcff',
            'PT3H',
            'running',
            'job_type__name',
        ]
    ),
)
queries = st.lists(st.tuples(st.sampled_from(PARAMETERS), hostile_text), max_size=6)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries)
def test_any_query_is_answered_in_json_without_a_server_error(api, query):
    encoded = urlencode([(name, value.encode('utf-8', 'surrogatepass')) for name, value in query])
    response = api.get(f'/job-executions/?{encoded}')
    assert response.status_code in (200, 400, 404), (query, response.status_code)
    assert response['Content-Type'] == 'application/json'


@pytest.fixture(autouse=True)
def one_full_row(db):
    make_full_execution()


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(['started', 'ended']), date_times())
def test_any_iso_8601_date_time_is_a_200_or_a_400_naming_its_parameter(api, name, text):
    response = api.get(f'/job-executions/?{urlencode({name: text})}')  # `+` is sent as %2B, as clients send it
    assert response.status_code in (200, 400), (text, response.status_code)
    if response.status_code == 400:
        assert list(response.json()) == [name], response.json()
