"""The pagination classes on their own: which one a request gets, page sizes, and cursors."""

import datetime

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from job.models import JobExecution
from scale.pagination import (
    KeysetPagination,
    RequestedPaginationMixin,
    SerializedRows,
    StandardPagination,
    after,
    decode_cursor,
    encode_cursor,
)


def request(query=''):
    return Request(APIRequestFactory().get(f'/things/?{query}'))


@pytest.mark.parametrize(
    'query, chosen',
    [
        ('', StandardPagination),
        ('page=2', StandardPagination),
        ('pagination=cursor', KeysetPagination),
        ('cursor=abc', KeysetPagination),
        ('cursor=', KeysetPagination),
    ],
)
def test_the_request_chooses_its_pagination(query, chosen):
    assert RequestedPaginationMixin().requested_pagination_class(request(query).query_params) is chosen


def test_another_pagination_value_is_a_400_naming_it():
    with pytest.raises(ValidationError) as raised:
        RequestedPaginationMixin().requested_pagination_class(request('pagination=pages').query_params)
    assert 'pagination' in raised.value.detail


@pytest.mark.parametrize('query, size', [('', 100), ('page_size=7', 7), ('page_size=5000', 1000)])
def test_page_sizes_default_and_cap(query, size):
    assert StandardPagination().get_page_size(request(query)) == size


@pytest.mark.parametrize('value', ['0', '-1', 'ten', '1.5'])
def test_unusable_page_sizes_are_a_400(value):
    with pytest.raises(ValidationError):
        StandardPagination().check_request(request(f'page_size={value}'), queryset=None)


KEYS = [('last_modified', True), ('node__hostname', False), ('id', False)]


def test_a_cursor_round_trips_with_typed_values():
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.timezone.utc)
    cursor = decode_cursor(encode_cursor((moment, None, 42), backwards=True), JobExecution, KEYS)
    assert cursor.values == (moment, None, 42) and cursor.backwards is True


@pytest.mark.parametrize(
    'token',
    [
        'not-base64!',
        encode_cursor((1, 2), False),
        encode_cursor(({'a': 1}, None, 1), False),
        encode_cursor(('2026-01-01T00:00:00Z', 'a\x00b', 1), False),
    ],
)
def test_tampered_cursors_are_a_400_naming_the_cursor(token):
    with pytest.raises(ValidationError) as raised:
        decode_cursor(token, JobExecution, KEYS)
    assert 'cursor' in raised.value.detail


@pytest.mark.django_db
def test_rows_after_a_cursor_follow_the_order_nulls_included():
    """Ascending, NULLs come last: after a NULL hostname only greater ids with NULL hostnames follow; descending
    they come first, so every hostname follows."""
    from job.tests.factories import make_execution, make_node

    with_node = make_execution(node=make_node(hostname='a'))
    nulls = [make_execution(node=None) for _ in range(2)]
    rows = JobExecution.objects.all()

    def ids_after(keys, values):
        return sorted(rows.filter(after(JobExecution, keys, values)).values_list('id', flat=True))

    assert ids_after([('node__hostname', False), ('id', False)], (None, nulls[0].id)) == [nulls[1].id]
    assert ids_after([('node__hostname', True), ('id', False)], (None, nulls[1].id)) == [with_node.id]
    assert ids_after([('node__hostname', False), ('id', False)], ('a', with_node.id)) == [n.id for n in nulls]


@pytest.mark.django_db
def test_serialized_rows_slice_into_dicts_in_the_order_with_the_given_count(django_assert_num_queries):
    from job.serializers import LIST_ROWS
    from job.tests.factories import make_execution

    executions = [make_execution() for _ in range(4)]
    rows = SerializedRows(JobExecution.objects.order_by('-id'), LIST_ROWS, count=4)
    assert rows.count() == len(rows) == 4
    with django_assert_num_queries(1):
        window = rows[1:3]
    assert [row['id'] for row in window] == [executions[2].id, executions[1].id]
    assert window[0] == LIST_ROWS.to_dict(JobExecution.objects.values_list(*LIST_ROWS.paths).get(pk=executions[2].id))


def test_the_schema_describes_page_number_pages_with_a_count_and_keyset_pages_without():
    from scale.pagination import EitherPagination

    page_number, keyset = EitherPagination().get_paginated_response_schema({'type': 'array'})['anyOf']
    assert 'count' in page_number['required'] and 'count' in page_number['properties']
    assert 'count' not in keyset['properties'] and set(keyset['properties']) == {'next', 'previous', 'results'}
