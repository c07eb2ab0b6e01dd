"""The conditional GET mixins, on a small viewset whose hooks are plain functions: which hook is asked what, and
what a current, stale or absent tag gets."""

import datetime

import pytest
from rest_framework import viewsets
from rest_framework.test import APIRequestFactory

from job.models import JobExecution
from job.serializers import DETAIL_ROWS, LIST_ROWS
from scale.conditional import ConditionalListMixin, ConditionalRetrieveMixin, newest
from scale.pagination import RequestedPaginationMixin

MOMENT = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def viewset(calls, version=7, row_version=(MOMENT, None)):
    class Tagged(ConditionalListMixin, ConditionalRetrieveMixin, RequestedPaginationMixin, viewsets.GenericViewSet):
        queryset = JobExecution.objects.none()
        filter_backends = ()
        list_rows, detail_rows = LIST_ROWS, DETAIL_ROWS

        def list_version(self, queryset, counted, known):
            calls.append(('list_version', counted, known))
            return version, (None if known == version else 0) if counted else None

        def row_version(self, pk):
            calls.append(('row_version', pk))
            return row_version

        def versioned_row(self, pk):
            calls.append(('versioned_row', pk))
            return {'id': int(pk)}, row_version

    return Tagged


def get(view, path, **headers):
    """`/things/...` is the list, `/things/<pk>` one row."""
    request = APIRequestFactory().get(path, **headers)
    pk = path.partition('?')[0].removeprefix('/things/')
    actions = {'get': 'retrieve'} if pk else {'get': 'list'}
    return view.as_view(actions)(request, **({'pk': pk} if pk else {}))


@pytest.mark.django_db
class TestList:
    def test_a_current_tag_is_a_304_and_the_hook_was_told_the_claimed_version(self):
        calls = []
        view = viewset(calls)
        first = get(view, '/things/')
        assert first.status_code == 200 and first['ETag'].startswith('"7-') and first['Vary'] == 'Accept'
        again = get(view, '/things/', HTTP_IF_NONE_MATCH=first['ETag'])
        assert again.status_code == 304 and again['ETag'] == first['ETag']
        assert calls == [('list_version', True, None), ('list_version', True, 7)]

    def test_a_new_version_renews_the_tag(self):
        etag = get(viewset([], version=7), '/things/')['ETag']
        assert get(viewset([], version=8), '/things/', HTTP_IF_NONE_MATCH=etag).status_code == 200

    def test_another_shape_renews_the_tag(self, monkeypatch):
        view = viewset([])
        etag = get(view, '/things/')['ETag']
        monkeypatch.setattr(LIST_ROWS, 'fingerprint', 'another')
        assert get(view, '/things/', HTTP_IF_NONE_MATCH=etag).status_code == 200

    def test_keyset_pages_ask_for_no_count(self):
        calls = []
        response = get(viewset(calls), '/things/?pagination=cursor')
        assert response.status_code == 200 and set(response.data) == {'next', 'previous', 'results'}
        assert calls == [('list_version', False, None)]

    def test_a_bad_page_size_is_a_400_before_the_version_is_read(self):
        calls = []
        assert get(viewset(calls), '/things/?page_size=0').status_code == 400
        assert get(viewset(calls), '/things/?pagination=pages').status_code == 400
        assert calls == []


class TestRetrieve:
    def test_without_a_tag_the_row_is_read_once_with_its_version(self):
        calls = []
        response = get(viewset(calls), '/things/5')
        assert response.status_code == 200 and response.data == {'id': 5}
        assert response['Last-Modified'] == 'Fri, 02 Jan 2026 03:04:05 GMT'
        assert calls == [('versioned_row', '5')]

    def test_a_current_tag_is_a_304_without_reading_the_row(self):
        calls = []
        etag = get(viewset(calls), '/things/5')['ETag']
        calls.clear()
        response = get(viewset(calls), '/things/5', HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304 and response['ETag'] == etag
        assert calls == [('row_version', '5')]

    def test_a_stale_tag_reads_the_version_then_the_row(self):
        calls = []
        response = get(viewset(calls), '/things/5', HTTP_IF_NONE_MATCH='"stale"')
        assert response.status_code == 200
        assert calls == [('row_version', '5'), ('versioned_row', '5')]

    def test_another_version_renews_the_tag(self):
        etag = get(viewset([]), '/things/5')['ETag']
        later = (MOMENT + datetime.timedelta(seconds=1), None)
        assert get(viewset([], row_version=later), '/things/5', HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_newest_leaves_out_missing_moments():
    assert newest((None, MOMENT, MOMENT - datetime.timedelta(days=1))) == MOMENT
