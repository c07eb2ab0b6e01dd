"""The three endpoints against stored rows: shapes, values, pagination, errors, /v3/ and query counts."""

import base64
import json

import pytest
from django.db import connection

from job.models import JobExecution
from job.serializers import DETAIL_ROWS, LIST_ROWS
from job.tests.factories import at, make_execution, make_full_execution
from job.tests.test_filtersets import error_of, ids

pytestmark = pytest.mark.django_db

LIST_FIELDS = {
    'id',
    'status',
    'command_arguments',
    'timeout',
    'pre_started',
    'pre_completed',
    'pre_exit_code',
    'job_started',
    'job_completed',
    'job_exit_code',
    'post_started',
    'post_completed',
    'post_exit_code',
    'created',
    'queued',
    'started',
    'ended',
    'last_modified',
    'job',
    'node',
    'error',
}
DETAIL_FIELDS = LIST_FIELDS | {
    'environment',
    'cpus_scheduled',
    'mem_scheduled',
    'disk_in_scheduled',
    'disk_out_scheduled',
    'disk_total_scheduled',
    'results',
    'current_stdout_url',
    'current_stderr_url',
    'results_manifest',
}
JOB_TYPE_FIELDS = {
    'id',
    'name',
    'version',
    'title',
    'description',
    'category',
    'author_name',
    'author_url',
    'is_system',
    'is_long_running',
    'is_active',
    'is_operational',
    'is_paused',
    'icon_code',
}
JOB_LIST_FIELDS = {'id', 'job_type', 'job_type_rev', 'event', 'error', 'status', 'priority', 'num_exes'}
JOB_DETAIL_FIELDS = JOB_LIST_FIELDS | {
    'timeout',
    'max_tries',
    'cpus_required',
    'mem_required',
    'disk_in_required',
    'disk_out_required',
    'created',
    'queued',
    'started',
    'ended',
    'last_status_change',
    'last_modified',
}
NODE_LIST_FIELDS = {'id', 'hostname', 'port', 'slave_id'}
NODE_DETAIL_FIELDS = NODE_LIST_FIELDS | {
    'pause_reason',
    'is_paused',
    'is_paused_errors',
    'is_active',
    'archived',
    'created',
    'last_offer',
    'last_modified',
}
ERROR_LIST_FIELDS = {'id', 'name', 'title', 'description', 'category'}


def utc(moment):
    return moment.isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def assert_list_shape(result, execution):
    assert set(result) == LIST_FIELDS
    job, job_type, node, error = execution.job, execution.job.job_type, execution.node, execution.error
    for name in ('id', 'status', 'command_arguments', 'timeout', 'pre_exit_code', 'job_exit_code', 'post_exit_code'):
        assert result[name] == getattr(execution, name), name
    for name in (
        'pre_started',
        'pre_completed',
        'job_started',
        'job_completed',
        'post_started',
        'post_completed',
        'created',
        'queued',
        'started',
        'ended',
        'last_modified',
    ):
        assert result[name] == utc(getattr(execution, name)), name
    assert set(result['job']) == JOB_LIST_FIELDS
    assert set(result['job']['job_type']) == JOB_TYPE_FIELDS
    assert result['job']['job_type'] == {name: getattr(job_type, name) for name in JOB_TYPE_FIELDS}
    assert result['job']['job_type_rev'] == {'id': job.job_type_rev_id}
    assert result['job']['event'] == {'id': job.event_id}
    assert result['job']['error'] == {'id': job.error_id}
    assert {k: result['job'][k] for k in ('id', 'status', 'priority', 'num_exes')} == {
        'id': job.id,
        'status': job.status,
        'priority': job.priority,
        'num_exes': job.num_exes,
    }
    assert result['node'] == {name: getattr(node, name) for name in NODE_LIST_FIELDS}
    assert result['error'] == {name: getattr(error, name) for name in ERROR_LIST_FIELDS}


class TestList:
    def test_each_result_has_exactly_the_list_fields_with_stored_values(self, api):
        execution = make_full_execution()
        response = api.get('/job-executions/')
        assert response.status_code == 200
        assert response['Content-Type'] == 'application/json'
        body = response.json()
        assert set(body) == {'count', 'next', 'previous', 'results'}
        assert body['count'] == 1
        assert_list_shape(body['results'][0], execution)

    def test_timestamps_are_utc_with_z_and_milliseconds(self, api):
        make_execution(last_modified=at(4.9876))
        result = api.get('/job-executions/').json()['results'][0]
        assert result['last_modified'] == '2015-08-28T17:57:46.020Z'
        assert result['queued'] == '2015-08-28T17:57:41.033Z'

    def test_null_relations_are_null(self, api):
        make_execution(status='QUEUED', node=None, error=None)
        result = api.get('/job-executions/').json()['results'][0]
        assert result['node'] is None and result['error'] is None and result['job']['error'] is None

    def test_is_served_under_v3(self, api):
        execution = make_full_execution()
        assert api.get('/v3/job-executions/').json()['results'][0]['id'] == execution.id

    def test_curl_without_accept_gets_json_and_a_browser_gets_the_browsable_api(self, client):
        make_execution()
        assert client.get('/job-executions/', HTTP_ACCEPT='*/*')['Content-Type'] == 'application/json'
        browser = client.get('/job-executions/', HTTP_ACCEPT='text/html,application/xhtml+xml')
        assert browser.status_code == 200 and browser['Content-Type'].startswith('text/html')


class TestPagination:
    def test_next_and_previous_are_absolute_urls_keeping_the_query(self, api):
        for _ in range(5):
            make_execution()
        body = api.get('/job-executions/?page_size=2&page=2&status=completed').json()
        assert body['count'] == 5 and len(body['results']) == 2
        assert body['next'] == 'http://testserver/job-executions/?page=3&page_size=2&status=completed'
        assert body['previous'] == 'http://testserver/job-executions/?page_size=2&status=completed'
        last = api.get(body['next']).json()
        assert len(last['results']) == 1 and last['next'] is None

    def test_v3_links_stay_under_v3(self, api):
        for _ in range(3):
            make_execution()
        assert (
            api.get('/v3/job-executions/?page_size=1').json()['next'].startswith('http://testserver/v3/job-executions/')
        )

    def test_page_past_the_end_is_a_json_404(self, api):
        make_execution()
        response = api.get('/job-executions/?page=2')
        assert response.status_code == 404
        assert 'Invalid page' in response.json()['detail']

    def test_empty_first_page_is_200(self, api):
        assert api.get('/job-executions/').json() == {'count': 0, 'next': None, 'previous': None, 'results': []}

    def test_default_page_size_is_100_and_large_sizes_are_capped_at_1000(self, api):
        execution = make_execution()
        fields = {
            f.attname: getattr(execution, f.attname)
            for f in JobExecution._meta.concrete_fields
            if f.attname not in ('id',)
        }
        JobExecution.objects.bulk_create([JobExecution(**fields) for _ in range(1000)])
        assert len(api.get('/job-executions/').json()['results']) == 100
        capped = api.get('/job-executions/?page_size=5000').json()
        assert capped['count'] == 1001 and len(capped['results']) == 1000
        assert '?page=2&page_size=5000' in capped['next']

    def test_empty_page_size_is_the_default(self, api):
        for _ in range(3):
            make_execution()
        response = api.get('/job-executions/?page_size=')
        assert response.status_code == 200 and len(response.json()['results']) == 3

    @pytest.mark.parametrize('size', ['0', '-5', 'ten', 'null', '1.5', '9' * 5000])
    def test_unusable_page_size_is_a_400_naming_it(self, api, size):
        response = api.get(f'/job-executions/?page_size={size}')
        assert response.status_code == 400 and list(response.json()) == ['page_size']

    @pytest.mark.parametrize('page', ['0', '-1', 'two', '99999999999999999999999'])
    def test_unusable_page_is_a_json_404(self, api, page):
        make_execution()
        response = api.get(f'/job-executions/?page={page}')
        assert response.status_code == 404 and response.json()['detail']


class TestQueryCounts:
    def test_a_page_of_20_takes_as_many_queries_as_a_page_of_2(self, api, django_assert_num_queries):
        for _ in range(20):
            make_full_execution()
        with django_assert_num_queries(2):
            assert len(api.get('/job-executions/?page_size=2').json()['results']) == 2
        with django_assert_num_queries(2):
            assert len(api.get('/job-executions/?page_size=20').json()['results']) == 20

    def test_filters_and_ordering_add_no_queries(self, api, django_assert_num_queries):
        for _ in range(5):
            make_full_execution()
        with django_assert_num_queries(2):
            api.get('/job-executions/?status=failed&job_type_category=raster&order=-node__hostname&started=P9999D')

    def test_details_take_one_query(self, api, django_assert_num_queries):
        execution = make_full_execution()
        with django_assert_num_queries(1):
            assert api.get(f'/job-executions/{execution.id}/').status_code == 200

    def test_finished_logs_take_one_query(self, api, django_assert_num_queries):
        execution = make_full_execution()
        with django_assert_num_queries(1):
            assert api.get(f'/job-executions/{execution.id}/logs/').status_code == 200

    def test_list_never_loads_logs(self, api, django_assert_num_queries):
        make_full_execution(stdout='x' * 1000)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            api.get('/job-executions/')
        page_query = queries.captured_queries[-1]['sql']
        assert '"stdout"' not in page_query and '"stderr"' not in page_query


class TestDetails:
    def test_has_the_list_fields_plus_details_with_full_nested_shapes(self, api):
        execution = make_full_execution(
            current_stdout_url='http://host/out.txt', current_stderr_url='http://host/error.txt'
        )
        job, node, error = execution.job, execution.node, execution.error
        response = api.get(f'/job-executions/{execution.id}/')
        assert response.status_code == 200
        body = response.json()
        assert set(body) == DETAIL_FIELDS
        for name in (
            'environment',
            'cpus_scheduled',
            'mem_scheduled',
            'disk_in_scheduled',
            'disk_out_scheduled',
            'disk_total_scheduled',
            'results',
            'current_stdout_url',
            'current_stderr_url',
            'results_manifest',
            'status',
            'command_arguments',
        ):
            assert body[name] == getattr(execution, name), name
        assert set(body['job']) == JOB_DETAIL_FIELDS
        assert body['job']['job_type']['name'] == job.job_type.name
        assert body['job']['job_type_rev'] == {
            'id': job.job_type_rev_id,
            'job_type': {'id': job.job_type_id},
            'revision_num': job.job_type_rev.revision_num,
        }
        assert body['job']['event'] == {
            'id': job.event_id,
            'type': 'STRIKE_TRANSFER',
            'rule': {'id': job.event.rule_id},
            'occurred': utc(job.event.occurred),
        }
        assert body['job']['error'] == {name: getattr(job.error, name) for name in ERROR_LIST_FIELDS}
        for name in ('timeout', 'max_tries', 'cpus_required', 'mem_required', 'disk_in_required', 'disk_out_required'):
            assert body['job'][name] == getattr(job, name), name
        for name in ('created', 'queued', 'started', 'ended', 'last_status_change', 'last_modified'):
            assert body['job'][name] == utc(getattr(job, name)), name
        assert set(body['node']) == NODE_DETAIL_FIELDS
        assert body['node']['slave_id'] == node.slave_id and body['node']['last_offer'] is None
        assert body['node']['created'] == utc(node.created)
        assert body['error'] == {
            **{name: getattr(error, name) for name in ERROR_LIST_FIELDS},
            'created': utc(error.created),
            'last_modified': utc(error.last_modified),
        }

    def test_event_without_rule_shows_null_rule(self, api):
        execution = make_execution()
        execution.job.event.rule = None
        execution.job.event.save()
        assert api.get(f'/job-executions/{execution.id}/').json()['job']['event']['rule'] is None

    def test_is_served_under_v3(self, api):
        execution = make_execution()
        assert api.get(f'/v3/job-executions/{execution.id}/').json()['id'] == execution.id

    @pytest.mark.parametrize('path', ['999999/', 'abc/', '1.5/', '-1/', '99999999999999999999999/', '%2e%2e/'])
    def test_unknown_or_malformed_id_is_a_json_404(self, api, path):
        make_execution()
        response = api.get(f'/job-executions/{path}')
        assert response.status_code == 404
        assert response['Content-Type'] == 'application/json' and response.json()['detail']

    def test_query_parameters_do_not_filter_details(self, api):
        execution = make_execution(status='COMPLETED')
        assert api.get(f'/job-executions/{execution.id}/?status=FAILED&order=bogus').status_code == 200


class TestReadOnly:
    @pytest.mark.parametrize('method', ['post', 'put', 'patch', 'delete'])
    @pytest.mark.parametrize('path', ['/job-executions/', '/job-executions/{id}/', '/job-executions/{id}/logs/'])
    def test_writes_are_a_json_405(self, api, method, path):
        execution = make_execution()
        response = getattr(api, method)(path.format(id=execution.id), {'status': 'FAILED'}, format='json')
        assert response.status_code == 405 and 'not allowed' in response.json()['detail']
        execution.refresh_from_db()
        assert execution.status == 'COMPLETED'


class TestErrorsAreJson:
    def test_unknown_url_is_a_json_404(self, api):
        response = api.get('/no-such-thing/')
        assert response.status_code == 404 and response.json() == {'detail': 'Not found.'}

    def test_too_many_query_fields_is_a_json_400_with_a_fixed_message(self, api, caplog):
        query = '&'.join(f'x{i}=1' for i in range(1100))
        response = api.get(f'/job-executions/?{query}')
        assert response.status_code == 400 and response.json() == {'detail': 'Too many query parameters.'}
        assert 'DATA_UPLOAD_MAX_NUMBER_FIELDS' in caplog.text  # the detail is for the operator

    def test_unknown_host_is_a_json_400_that_echoes_nothing(self, client, caplog):
        response = client.get('/job-executions/', HTTP_HOST='evil.example.com')
        assert response.status_code == 400 and response.json() == {'detail': 'This host name is not served here.'}
        assert b'evil' not in response.content and b'ALLOWED_HOSTS' not in response.content
        assert 'evil.example.com' in caplog.text


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute('SELECT name FROM pg_prepared_statements ORDER BY name')
        return [name for (name,) in cursor.fetchall()]


def revalidate(api, url, etag, **headers):
    return api.get(url, HTTP_IF_NONE_MATCH=etag, **headers)


class TestListRevalidation:
    @pytest.fixture
    def page(self, api):
        executions = [make_full_execution(last_modified=at(n)) for n in range(3)]
        response = api.get('/job-executions/?page_size=2')
        return executions, response['ETag']

    def test_list_sends_a_strong_etag_and_a_current_one_gets_an_empty_304_from_one_query(
        self, api, page, django_assert_num_queries
    ):
        _, etag = page
        assert etag.startswith('"') and not etag.startswith('W/')
        with django_assert_num_queries(1):
            response = revalidate(api, '/job-executions/?page_size=2', etag)
        assert response.status_code == 304 and response.content == b'' and response['ETag'] == etag
        assert revalidate(api, '/job-executions/?page_size=2', f'"other", W/{etag}').status_code == 304

    def test_a_stale_tag_gets_the_full_answer_in_two_queries(self, api, page, django_assert_num_queries):
        with django_assert_num_queries(2):
            response = revalidate(api, '/job-executions/?page_size=2', '"stale"')
        assert response.status_code == 200 and len(response.json()['results']) == 2

    def test_a_changed_list_shape_renews_the_tag(self, api, page, monkeypatch):
        _, etag = page
        monkeypatch.setattr(LIST_ROWS, 'fingerprint', 'another shape')
        assert revalidate(api, '/job-executions/?page_size=2', etag).status_code == 200

    def test_a_saved_execution_on_the_page_renews_the_tag(self, api, page):
        executions, etag = page
        executions[0].save()
        assert revalidate(api, '/job-executions/?page_size=2', etag).status_code == 200

    def test_a_deleted_execution_renews_the_tag(self, api, page):
        executions, etag = page
        JobExecution.objects.filter(pk=executions[2].pk).delete()
        assert revalidate(api, '/job-executions/?page_size=2', etag).status_code == 200

    @pytest.mark.parametrize('joined', ['job', 'node', 'error', 'job_type'])
    def test_a_joined_row_saved_without_touching_the_execution_renews_the_tag(self, api, page, joined):
        executions, etag = page
        row = executions[0].job.job_type if joined == 'job_type' else getattr(executions[0], joined)
        row.save()
        assert revalidate(api, '/job-executions/?page_size=2', etag).status_code == 200

    def test_another_page_filter_path_host_or_format_has_another_tag(self, api, page, client):
        _, etag = page
        for url in (
            '/job-executions/?page_size=2&page=2',
            '/job-executions/?page_size=2&status=FAILED',
            '/v3/job-executions/?page_size=2',
        ):
            assert revalidate(api, url, etag).status_code == 200, url
        # The same list asked for by another of the allowed names: its next link names that host.
        other_host = api.get('/job-executions/?page_size=2', HTTP_HOST='localhost', HTTP_IF_NONE_MATCH=etag)
        assert other_host.status_code == 200 and other_host.json()['next'].startswith('http://localhost/')
        browser = client.get('/job-executions/?page_size=2', HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT='text/html')
        assert browser.status_code == 200

    def test_the_tag_shows_the_lists_version(self, api, page):
        _, etag = page
        serial = int(etag.strip('"').split('-')[0])
        make_execution()
        renewed = api.get('/job-executions/?page_size=2')['ETag']
        assert int(renewed.strip('"').split('-')[0]) > serial

    def test_a_tag_of_an_older_version_gets_the_new_count_in_two_queries(self, api, page, django_assert_num_queries):
        _, etag = page
        make_execution()
        with django_assert_num_queries(2):
            response = revalidate(api, '/job-executions/?page_size=2', etag)
        assert response.status_code == 200 and response.json()['count'] == 4 and response['ETag'] != etag

    def test_another_urls_current_tag_is_not_taken_for_this_one(self, api, page, django_assert_num_queries):
        """Its serial is current, but it was made for another URL: the count must still be read."""
        other = api.get('/job-executions/?page_size=1')['ETag']
        with django_assert_num_queries(2):
            response = revalidate(api, '/job-executions/?page_size=2', other)
        assert response.status_code == 200 and response.json()['count'] == 3

    @pytest.mark.parametrize(
        'header',
        [
            '"99999999999999999999999-abc"',
            '"²-abc"',
            '"-"',
            '"1-"',
            'W/"0-0", "x"',
            '"' + '9' * 5000 + '-a"',
            '"1-a" "2-b"',
            '""',
            ',,,',
        ],
    )
    def test_malformed_tags_get_the_full_answer(self, api, page, header):
        response = revalidate(api, '/job-executions/?page_size=2', header)
        assert response.status_code == 200 and response.json()['count'] == 3

    def test_a_bad_page_size_is_a_400_even_with_a_tag(self, api, page):
        response = revalidate(api, '/job-executions/?page_size=abc', '*')
        assert response.status_code == 400 and 'page_size' in response.json()


class TestDetailsRevalidation:
    def test_details_send_etag_and_last_modified_and_revalidate_in_one_query(self, api, django_assert_num_queries):
        execution = make_full_execution()
        response = api.get(f'/job-executions/{execution.id}/')
        assert response['ETag'].startswith('"') and response['Last-Modified']
        with django_assert_num_queries(1):
            again = revalidate(api, f'/job-executions/{execution.id}/', response['ETag'])
        assert again.status_code == 304 and again.content == b'' and again['ETag'] == response['ETag']

    def test_a_stale_tag_gets_the_details_in_two_queries(self, api, django_assert_num_queries):
        execution = make_full_execution()
        with django_assert_num_queries(2):
            response = revalidate(api, f'/job-executions/{execution.id}/', '"stale"')
        assert response.status_code == 200 and response.json()['id'] == execution.id

    def test_a_changed_details_shape_renews_the_tag(self, api, monkeypatch):
        execution = make_full_execution()
        etag = api.get(f'/job-executions/{execution.id}/')['ETag']
        monkeypatch.setattr(DETAIL_ROWS, 'fingerprint', 'another shape')
        assert revalidate(api, f'/job-executions/{execution.id}/', etag).status_code == 200

    @pytest.mark.parametrize('changed', ['execution', 'job', 'job_type', 'node', 'error', 'job_error'])
    def test_any_shown_row_saved_renews_the_tag(self, api, changed):
        execution = make_full_execution()
        etag = api.get(f'/job-executions/{execution.id}/')['ETag']
        row = {
            'execution': execution,
            'job': execution.job,
            'job_type': execution.job.job_type,
            'node': execution.node,
            'error': execution.error,
            'job_error': execution.job.error,
        }[changed]
        row.save()
        assert revalidate(api, f'/job-executions/{execution.id}/', etag).status_code == 200

    @pytest.mark.skipif(connection.vendor != 'postgresql', reason="prepared statements are PostgreSQL's")
    @pytest.mark.parametrize('prepared', [True, False])
    @pytest.mark.django_db(transaction=True)
    def test_the_version_lookup_is_prepared_once_per_connection(self, api, settings, prepared):
        settings.DATABASE_PREPARED_STATEMENTS = prepared
        execution = make_full_execution()
        url = f'/job-executions/{execution.id}/'
        etag = api.get(url)['ETag']
        assert revalidate(api, url, etag).status_code == 304
        assert prepared_statements() == (['scale_detail_version'] if prepared else [])
        connection.close()  # a new connection has no prepared statement: it is prepared again
        assert revalidate(api, url, etag).status_code == 304
        execution.save()
        assert revalidate(api, url, etag).status_code == 200
        assert prepared_statements() == (['scale_detail_version'] if prepared else [])

    @pytest.mark.parametrize('pk', [424242, 2**31, 999999999999999999])
    def test_unknown_id_with_a_tag_is_still_a_404(self, api, pk):
        assert revalidate(api, f'/job-executions/{pk}/', '*').status_code == 404


class TestBigPageQueryCounts:
    def test_page_size_1000_takes_two_queries(self, api, django_assert_num_queries):
        execution = make_full_execution()
        fields = {
            f.attname: getattr(execution, f.attname) for f in JobExecution._meta.concrete_fields if f.attname != 'id'
        }
        JobExecution.objects.bulk_create([JobExecution(**fields) for _ in range(1000)])
        with django_assert_num_queries(2):
            body = api.get('/job-executions/?page_size=1000&job_type_name=' + execution.job.job_type.name).json()
        assert len(body['results']) == 1000 and body['results'][0]['node']['hostname'] == execution.node.hostname


class TestKeysetPages:
    @pytest.fixture
    def rows(self):
        from job.tests.factories import make_error, make_node

        node_a, node_b = make_node(hostname='a.example.com'), make_node(hostname='b.example.com')
        errors = [make_error(category='DATA'), make_error(category='SYSTEM')]
        shapes = [  # (node, error, last_modified, pre_exit_code): ties and NULLs in every key
            (node_a, errors[0], 10, 0),
            (None, None, 10, None),
            (node_b, None, 20, 1),
            (node_a, errors[1], 20, None),
            (None, errors[0], 5, 2),
            (node_b, errors[1], 30, 0),
            (node_a, None, 5, None),
        ]
        return [
            make_execution(
                node=node,
                error=error,
                last_modified=at(seconds),
                pre_exit_code=code,
                status='FAILED' if error else 'COMPLETED',
            )
            for node, error, seconds, code in shapes
        ]

    @staticmethod
    def walk(api, url, link):
        pages = []
        while url:
            body = api.get(url).json()
            assert 'count' not in body
            pages.append([result['id'] for result in body['results']])
            url = body[link]
        return pages

    @pytest.mark.parametrize(
        'order',
        [
            '',
            'order=-last_modified',
            'order=node__hostname',
            'order=-node__hostname',
            'order=error__category&order=-status',
            'order=job_type__name',
            'order=-id',
            'order=pre_exit_code',
            'order=-pre_exit_code&order=-node__hostname',
        ],
    )
    def test_walking_forward_then_back_gives_the_page_number_order(self, api, rows, order):
        expected = ids(api, f'{order}&page_size=100')
        forward = self.walk(api, f'/job-executions/?pagination=cursor&page_size=2&{order}', 'next')
        assert [pk for page in forward for pk in page] == expected and all(len(page) == 2 for page in forward[:-1])
        last_page_url = api.get(f'/job-executions/?pagination=cursor&page_size=2&{order}').json()['next']
        for _ in range(len(forward) - 2):
            last_page_url = api.get(last_page_url).json()['next']
        backward = self.walk(api, last_page_url, 'previous')
        assert backward[::-1] == forward

    def test_first_page_has_no_previous_and_last_no_next(self, api, rows):
        first = api.get('/job-executions/?pagination=cursor&page_size=7').json()
        assert first['previous'] is None and first['next'] is None and len(first['results']) == 7
        assert first['results'][0] == api.get('/job-executions/').json()['results'][0]

    def test_a_page_takes_two_queries_and_revalidates_in_one(self, api, rows, django_assert_num_queries):
        url = '/job-executions/?pagination=cursor&page_size=2&order=node__hostname'
        second_page = api.get(url).json()['next']
        with django_assert_num_queries(2):
            response = api.get(second_page)
        with django_assert_num_queries(1):
            again = revalidate(api, response.wsgi_request.get_full_path(), response['ETag'])
        assert again.status_code == 304 and again.content == b''

    def test_a_stale_tag_gets_the_page_in_two_queries(self, api, rows, django_assert_num_queries):
        url = '/job-executions/?pagination=cursor&page_size=2'
        etag = api.get(url)['ETag']
        make_execution()
        with django_assert_num_queries(2):
            response = revalidate(api, url, etag)
        assert response.status_code == 200 and len(response.json()['results']) == 2

    def test_a_changed_row_on_the_page_renews_the_tag(self, api, rows):
        url = '/job-executions/?pagination=cursor&page_size=2'
        response = api.get(url)
        JobExecution.objects.get(pk=response.json()['results'][1]['id']).save()
        assert revalidate(api, url, response['ETag']).status_code == 200

    @pytest.mark.parametrize(
        'cursor',
        [
            'garbage',
            'eyJ2IjpbXX0',
            'e30',
            '%00',
            'eyJ2IjpbIngiLDFdLCJiIjpmYWxzZX0',
            'eyJ2IjpbbnVsbCw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5XSwiYiI6ZmFsc2V9',
        ],
    )
    def test_a_malformed_cursor_is_a_400(self, api, rows, cursor):
        body = error_of(api, f'cursor={cursor}')
        assert list(body) == ['cursor']

    def test_a_cursor_holding_text_no_database_can_take_is_a_400(self, api, rows):
        for text in ('\ud800', 'a\x00b'):
            token = base64.urlsafe_b64encode(json.dumps({'v': [text, 1], 'b': False}).encode()).decode()
            body = error_of(api, f'order=node__hostname&cursor={token}')
            assert list(body) == ['cursor']

    def test_an_empty_cursor_is_the_first_page(self, api, rows):
        body = api.get('/job-executions/?cursor=&page_size=3').json()
        assert body['previous'] is None and 'count' not in body
        assert [result['id'] for result in body['results']] == ids(api, 'page_size=3')


class TestCountJoins:
    @staticmethod
    def count_sql(api, query):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert api.get(f'/job-executions/?{query}').status_code == 200
        first = queries.captured_queries[0]['sql']
        return first[: first.index(') filtered')]  # the count's subquery: what it selects from, joins and filters

    def test_the_count_joins_nothing_for_filters_on_the_execution_whatever_the_order(self, api):
        make_full_execution()
        count_from = self.count_sql(api, 'status=failed&node_id=1&started=P9999D&order=-node__hostname')
        assert 'JOIN' not in count_from and '"job_exe"' in count_from

    def test_the_count_joins_job_and_job_type_for_job_type_filters_only(self, api):
        make_full_execution()
        # With a time range the count scans on both databases (without one, PostgreSQL sums groups: job.counts).
        count_from = self.count_sql(api, 'job_type_name=x&started=P9999D&order=error__category')
        assert 'JOIN "job" ' in count_from and 'JOIN "job_type" ' in count_from
        assert '"node"' not in count_from and '"error"' not in count_from


class TestBrowsableApi:
    @pytest.mark.parametrize('path', ['/job-executions/?pagination=cursor', '/job-executions/{id}/'])
    def test_a_browser_gets_html_for_keyset_pages_and_details(self, client, path):
        execution = make_full_execution()
        response = client.get(path.format(id=execution.id), HTTP_ACCEPT='text/html')
        assert response.status_code == 200 and response['Content-Type'].startswith('text/html')
        assert execution.node.hostname in response.content.decode()
