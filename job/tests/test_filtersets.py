"""Every query parameter of the list, its good and bad forms, and ordering."""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from job.filtersets import JobExecutionFilterSet
from job.models import JobExecution
from job.tests.factories import at, make_error, make_execution, make_job, make_job_type, make_node

pytestmark = pytest.mark.django_db


def ids(api, query, expected_status=200):
    response = api.get(f'/job-executions/?{query}')
    assert response.status_code == expected_status, response.content
    return [result['id'] for result in response.json()['results']]


def error_of(api, query):
    response = api.get(f'/job-executions/?{query}')
    assert response.status_code == 400, response.content
    assert response['Content-Type'] == 'application/json'
    return response.json()


class TestTimeRange:
    @pytest.fixture
    def three(self):
        return [make_execution(last_modified=at(seconds)).id for seconds in (0, 60, 120)]

    def test_started_and_ended_bound_last_modified_inclusively(self, api, three):
        assert ids(api, 'started=2015-08-28T17:58:41.033Z') == three[1:]
        assert ids(api, 'ended=2015-08-28T17:58:41.033Z') == three[:2]
        assert ids(api, 'started=2015-08-28T17:58:41.033Z&ended=2015-08-28T17:58:41.034Z') == [three[1]]

    def test_offsets_are_honoured(self, api, three):
        assert ids(api, 'started=2015-08-28T19:58:41.033%2B02:00') == three[1:]
        assert ids(api, 'started=2015-08-28T12:58:41.033-05:00') == three[1:]

    def test_durations_count_back_from_now(self, api):
        old = make_execution(last_modified=timezone.now() - datetime.timedelta(hours=5)).id
        recent = make_execution(last_modified=timezone.now() - datetime.timedelta(hours=1)).id
        assert ids(api, 'started=PT3H0M0S') == [recent]
        assert ids(api, 'ended=PT3H') == [old]
        assert ids(api, 'started=P1D&ended=PT2H') == [old]

    @pytest.mark.parametrize('name', ['started', 'ended'])
    @pytest.mark.parametrize(
        'value',
        [
            '2015-01-01T00:00:00',
            'yesterday',
            '2015-13-01T00:00:00Z',
            '2015-01-01',
            'P',
            'P1X',
            'PT3H0M0SZ',
            'P99999999999D',
            'P9999Y',
            '0001-01-01T00:00:00%2B14:00',
            '2015-01-01T00:00:00Z\x00',
        ],
    )
    def test_bad_values_are_a_400_naming_the_parameter(self, api, name, value):
        body = error_of(api, f'{name}={value}')
        assert list(body) == [name] and body[name][0]

    def test_missing_zone_says_so(self, api):
        assert 'time zone' in error_of(api, 'started=2015-01-01T00:00:00')['started'][0]

    @pytest.mark.parametrize(
        'query',
        [
            'started=2015-01-02T00:00:00Z&ended=2015-01-02T00:00:00Z',
            'started=2015-01-03T00:00:00Z&ended=2015-01-02T00:00:00Z',
            'started=PT1H&ended=PT2H',
            'started=P1D&ended=P1D',
        ],
    )
    def test_empty_or_reversed_range_is_a_400(self, api, query):
        assert 'earlier than ended' in error_of(api, query)['started'][0]


class TestStatus:
    @pytest.fixture
    def by_status(self):
        return {
            status: make_execution(status=status).id
            for status in ('QUEUED', 'RUNNING', 'FAILED', 'COMPLETED', 'CANCELED')
        }

    def test_matches_case_insensitively(self, api, by_status):
        assert ids(api, 'status=running') == [by_status['RUNNING']]
        assert ids(api, 'status=Canceled') == [by_status['CANCELED']]

    def test_repeated_means_any(self, api, by_status):
        assert sorted(ids(api, 'status=FAILED&status=queued')) == sorted([by_status['FAILED'], by_status['QUEUED']])

    def test_empty_value_is_ignored(self, api, by_status):
        assert len(ids(api, 'status=')) == 5

    @pytest.mark.parametrize('value', ['DONE', 'PENDING', 'RUNNING%00', ' '])
    def test_other_values_are_a_400(self, api, by_status, value):
        assert 'status' in error_of(api, f'status={value}')


class TestJobTypeAndNode:
    @pytest.fixture
    def rows(self):
        old = make_job_type(name='ndvi', version='1.0', category='raster')
        new = make_job_type(name='ndvi', version='2.0', category='raster')
        other = make_job_type(name='ingest', version='1.0', category='system')
        node_a, node_b = make_node(), make_node()
        return {
            'old': make_execution(job=make_job(job_type=old), node=node_a),
            'new': make_execution(job=make_job(job_type=new), node=node_b),
            'other': make_execution(job=make_job(job_type=other), node=node_a),
        }

    def test_job_type_id_repeats(self, api, rows):
        old, other = rows['old'], rows['other']
        assert ids(api, f'job_type_id={old.job.job_type_id}') == [old.id]
        assert ids(api, f'job_type_id={old.job.job_type_id}&job_type_id={other.job.job_type_id}') == [old.id, other.id]

    def test_job_type_name_matches_every_version(self, api, rows):
        assert ids(api, 'job_type_name=ndvi') == [rows['old'].id, rows['new'].id]
        assert ids(api, 'job_type_name=ndvi&job_type_name=ingest') == [r.id for r in rows.values()]
        assert ids(api, 'job_type_name=NDVI') == []

    def test_job_type_category(self, api, rows):
        assert ids(api, 'job_type_category=system') == [rows['other'].id]
        assert len(ids(api, 'job_type_category=system&job_type_category=raster')) == 3

    def test_node_id(self, api, rows):
        assert ids(api, f'node_id={rows["new"].node_id}') == [rows['new'].id]
        assert ids(api, f'node_id={rows["old"].node_id}&node_id={rows["new"].node_id}') == [r.id for r in rows.values()]

    def test_different_parameters_combine_with_and(self, api, rows):
        assert ids(api, f'job_type_name=ndvi&node_id={rows["old"].node_id}') == [rows['old'].id]
        assert ids(api, f'job_type_category=system&node_id={rows["new"].node_id}') == []

    @pytest.mark.parametrize('name', ['job_type_id', 'node_id'])
    @pytest.mark.parametrize('value', ['abc', '1.5', '99999999999999999999', '-99999999999999999999', '1%00'])
    def test_bad_ids_are_a_400_naming_the_parameter(self, api, rows, name, value):
        assert name in error_of(api, f'{name}={value}')

    @pytest.mark.parametrize('name', ['job_type_name', 'job_type_category'])
    def test_nul_in_a_string_is_a_400(self, api, rows, name):
        assert name in error_of(api, f'{name}=nd%00vi')

    def test_long_string_is_merely_no_match(self, api, rows):
        assert ids(api, 'job_type_name=' + 'x' * 20000) == []

    def test_unknown_parameters_are_ignored(self, api, rows):
        assert len(ids(api, 'colour=blue&job_type=1')) == 3


class TestOrder:
    @pytest.fixture
    def rows(self):
        node_b, node_a = make_node(hostname='b.example.com'), make_node(hostname='a.example.com')
        type_x, type_y = make_job_type(name='x-type'), make_job_type(name='y-type')
        return [
            make_execution(
                job=make_job(job_type=type_y),
                node=node_a,
                status='RUNNING',
                last_modified=at(30),
                error=make_error(category='DATA'),
            ),
            make_execution(job=make_job(job_type=type_x), node=None, status='QUEUED', last_modified=at(10)),
            make_execution(
                job=make_job(job_type=type_x),
                node=node_b,
                status='FAILED',
                last_modified=at(20),
                error=make_error(category='SYSTEM'),
            ),
        ]

    def test_default_is_last_modified_ascending(self, api, rows):
        assert ids(api, '') == [rows[1].id, rows[2].id, rows[0].id]

    def test_dash_reverses(self, api, rows):
        assert ids(api, 'order=-last_modified') == [rows[0].id, rows[2].id, rows[1].id]

    def test_repeated_order_sorts_by_each_in_turn_with_id_last(self, api, rows):
        assert ids(api, 'order=job_type__name&order=-status') == [rows[1].id, rows[2].id, rows[0].id]
        assert ids(api, 'order=job__job_type__name') == [rows[1].id, rows[2].id, rows[0].id]
        assert ids(api, 'order=job_type__name,-status') == [rows[1].id, rows[2].id, rows[0].id]

    def test_id_breaks_ties(self, api, rows):
        assert ids(api, 'order=job_type__name') == [rows[1].id, rows[2].id, rows[0].id]
        assert ids(api, 'order=-id') == [rows[2].id, rows[1].id, rows[0].id]

    def test_nulls_sort_as_in_postgresql_on_every_database(self, api, rows):
        assert ids(api, 'order=node__hostname') == [rows[0].id, rows[2].id, rows[1].id]
        assert ids(api, 'order=-node__hostname') == [rows[1].id, rows[2].id, rows[0].id]
        assert ids(api, 'order=error__category') == [rows[0].id, rows[2].id, rows[1].id]

    @pytest.mark.parametrize(
        'value',
        [
            'colour',
            '-colour',
            'stdout',
            'environment',
            'results',
            'job__data',
            'job__job_type__description',
            'job__job__job',
            'node__hostname__id',
            'job_type__interface',
            '--status',
            'job_type',
        ],
    )
    def test_fields_that_do_not_exist_or_cannot_be_ordered_are_a_400(self, api, rows, value):
        body = error_of(api, f'order={value}')
        assert list(body) == ['order']

    def test_six_sort_keys_are_fine_and_more_is_a_400_naming_order(self, api, rows):
        six = 'order=-status,node__hostname,job_type__name,error__category,-created&order=id'
        assert ids(api, six) == [rows[0].id, rows[1].id, rows[2].id]
        body = error_of(api, six + ',last_modified')
        assert body == {'order': ['At most 6 values, 7 given.']}

    def test_a_thousand_sort_keys_are_refused_before_any_is_looked_at(self, api, rows):
        body = error_of(api, 'order=' + ','.join(['status', 'colour'] * 600))
        assert body == {'order': ['At most 6 values, 1200 given.']}


def test_a_percent_sign_in_a_bad_moment_is_quoted_back_not_formatted(api):
    assert error_of(api, 'started=%25d%25s')['started'][0].startswith('"%d%s" is not')


class TestFilterSetDirectly:
    """The filter set without HTTP, as NetBox tests its filter sets: parameters in, rows or errors out."""

    @staticmethod
    def filtered(query):
        filterset = JobExecutionFilterSet(QueryDict(query), queryset=JobExecution.objects.all())
        return filterset, (list(filterset.qs.values_list('id', flat=True)) if filterset.is_valid() else None)

    def test_each_filter_selects_its_rows_and_they_combine_with_and(self):
        wanted = make_execution(status='RUNNING', node=make_node(hostname='n1'))
        make_execution(status='RUNNING')
        make_execution(status='FAILED', node=wanted.node)
        assert self.filtered(f'status=running&node_id={wanted.node_id}')[1] == [wanted.id]
        assert sorted(self.filtered('status=running&status=failed')[1]) == sorted(
            JobExecution.objects.values_list('id', flat=True)
        )

    def test_the_default_order_is_last_modified_then_id(self):
        later, earlier = make_execution(last_modified=at(60)), make_execution(last_modified=at(0))
        assert self.filtered('')[1] == [earlier.id, later.id]

    def test_bad_values_are_form_errors_naming_the_parameter(self):
        filterset, rows = self.filtered('status=DONE&order=colour&node_id=x')
        assert rows is None and set(filterset.errors) == {'status', 'order', 'node_id'}
