"""What clients and fuzzers send: every parameter and path gets a JSON 4xx naming the problem, or a 200 where the
input is merely odd. Never a 5xx, never HTML. Both databases."""

from urllib.parse import urlencode

import pytest

from job.tests.factories import make_execution, make_full_execution

pytestmark = pytest.mark.django_db

# Values as a client means them; each is sent through a real URL encoder (urlencode), as a client's library sends
# it: `+` as %2B, invalid UTF-8 (the bytes values) as %FF. A hand-written `?started=...+99:00` would be a space.
HOSTILE_VALUES = [
    '\x00',
    'a\x00b',
    b'\xff\xfe',
    b'\xc0\xaf',
    'x' * 20000,
    '9' * 30,
    '-' + '9' * 30,
    '-1',
    '0',
    '1e9999',
    'NaN',
    '../../etc/passwd',
    'P99999999999D',
    'PT99999999999999999999H',
    '0000-00-00T00:00:00Z',
    '99999-01-01T00:00:00Z',
    '2015-02-30T00:00:00Z',
    '%s%d',
    "'; DROP TABLE job_exe;--",
    'job__job__job__job__id',
    'node__job_exe__node__id',
    'stdout',
    '-environment',
    '2015-01-01T00:00:00+99:00',
    '2015-01-01T00:00:00-24:00',
    '2015-01-01T00:00:00+00:60',
    '0001-01-01T00:00:00+01:00',
    '9999-12-31T23:59:59-01:00',
    '2015-01-01T00:00:00+2400',
    '+',
    ' ',
    '&',
    '=',
    '#',
    '\u2028',
    '\ud800'.encode('utf-8', 'surrogatepass'),
]
LIST_PARAMETERS = [
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
    'pagination',
    'cursor',
]
TEXT_LOG_PARAMETERS = ['offset', 'tail', 'limit', 'follow']


@pytest.fixture
def execution(settings):
    settings.LOGS_FOLLOW_MAX_SECONDS = 0.2  # a follow of a finished execution ends at once anyway
    return make_full_execution(stdout='out\n')


def assert_json_answer(response, allowed=(200, 204, 400, 404)):
    assert response.status_code in allowed, (response.status_code, response.content[:200])
    if response.status_code != 204:
        assert response['Content-Type'].startswith(('application/json', 'text/plain')), response['Content-Type']
    if response.status_code >= 400:
        assert response.json(), 'an error without a body'


@pytest.mark.parametrize('value', HOSTILE_VALUES)
@pytest.mark.parametrize('name', LIST_PARAMETERS)
def test_every_list_parameter_survives_hostile_values(api, execution, name, value):
    response = api.get(f'/job-executions/?{urlencode({name: value})}')
    assert_json_answer(response)
    if response.status_code == 400:
        assert name in response.json(), response.json()


@pytest.mark.parametrize('value', HOSTILE_VALUES)
@pytest.mark.parametrize('name', TEXT_LOG_PARAMETERS)
def test_every_plain_text_logs_parameter_survives_hostile_values(api, execution, name, value):
    assert_json_answer(api.get(f'/job-executions/{execution.id}/logs/stdout/?{urlencode({name: value})}'))


@pytest.mark.parametrize(
    'path',
    [
        '/job-executions/99999999999999999999999999/',
        '/job-executions/9223372036854775808/logs/',
        '/job-executions/-1/',
        '/job-executions/%00/',
        '/job-executions/1%00/',
        '/job-executions/..%2F..%2F/',
        '/job-executions/../../etc/passwd',
        '/job-executions/%ff/logs/stdout/',
        '/job-executions/1/logs/stdin/',
        '/v3/job-executions/' + '1' * 5000 + '/',
    ],
)
def test_hostile_paths_are_a_json_404(api, execution, path):
    response = api.get(path)
    assert response.status_code == 404 and response.json()['detail']


def test_thousands_of_parameters_are_a_json_400(api, execution):
    query = '&'.join(f'p{number}=1' for number in range(5000))
    response = api.get(f'/job-executions/?{query}')
    assert response.status_code == 400 and response.json() == {'detail': 'Too many query parameters.'}


def test_hundreds_of_repeats_of_one_filter_are_fine(api, execution):
    response = api.get('/job-executions/?' + '&'.join(['status=failed'] * 900))
    assert response.status_code == 200 and response.json()['count'] == 1


def test_repeated_singular_parameters_take_the_last(api, execution):
    make_execution()
    body = api.get('/job-executions/?page_size=5&page_size=1&page=9&page=2').json()
    assert len(body['results']) == 1 and body['previous'] is not None


def test_a_huge_header_value_is_not_an_error(api, execution):
    response = api.get('/job-executions/', HTTP_IF_NONE_MATCH='"' + 'x' * 20000 + '"')
    assert response.status_code == 200


@pytest.mark.parametrize('value', ['2015-01-01T00:00:00+99:00', '2015-01-01T00:00:00-24:00'])
@pytest.mark.parametrize('name', ['started', 'ended'])
def test_an_offset_out_of_range_is_a_400_naming_the_parameter(api, execution, name, value):
    response = api.get(f'/job-executions/?{urlencode({name: value})}')
    assert response.status_code == 400 and 'zone offset out of range' in response.json()[name][0]
