"""The three read-only job execution endpoints: list, details and logs."""
from django.http import Http404
from rest_framework import generics
from rest_framework.response import Response

from job.filtersets import JobExecutionFilterSet
from job.logs import with_live_logs
from job.models import JobExecution
from job.serializers import (
    SHAPES_VERSION, JobExecutionBaseSerializer, JobExecutionLogSerializer, JobExecutionSerializer,
)
from job.versions import DETAIL_VERSION_PATHS, detail_version, last_change, list_version, newest_joined_changes
from scale.conditional import matches, not_modified, strong_etag, with_validators
from scale.pagination import KeysetPagination
from scale.rows import RowSerializer, SerializedRows

# List pages and details are read as rows and turned into their shapes without building models or DRF fields.
LIST_ROWS = RowSerializer(JobExecutionBaseSerializer)
DETAIL_ROWS = RowSerializer(JobExecutionSerializer, extra_paths=DETAIL_VERSION_PATHS)

# Large columns that none of the shapes below show; logs are added back where they are shown.
_LOGS = ('stdout', 'stderr')
_UNSHOWN_DOCUMENTS = (
    'docker_params', 'job_metrics',
    'job__data', 'job__results', 'job__docker_params',
    'job__job_type__interface', 'job__job_type__error_mapping', 'job__job_type__docker_params',
)
_DETAIL_DOCUMENTS = ('environment', 'results', 'results_manifest')


class JobExecutionListView(generics.ListAPIView):
    # The page selects only LIST_ROWS.paths (the serializer's columns); the count joins only what filters need.
    queryset = JobExecution.objects.all()
    serializer_class = JobExecutionBaseSerializer
    filterset_class = JobExecutionFilterSet

    def list(self, request, *args, **kwargs):
        """Page numbers: 304 from the count query when the client's tag is current, else that count and the page.
        `?pagination=cursor` or a `cursor` switches to keyset pages."""
        queryset = self.filter_queryset(self.get_queryset())
        if 'cursor' in request.query_params or request.query_params.get('pagination') == 'cursor':
            return self.keyset_list(request, queryset)
        count, version = list_version(queryset)
        etag = strong_etag(request, SHAPES_VERSION, LIST_ROWS.paths, version)
        if matches(request, etag):
            return not_modified(etag)
        page = self.paginate_queryset(SerializedRows(queryset, LIST_ROWS, count))
        return with_validators(self.get_paginated_response(page), etag)

    def keyset_list(self, request, queryset):
        """A keyset page: its keys from an index range (enough for a 304), then its rows by id. No count."""
        joined = newest_joined_changes()
        pages = KeysetPagination(request, queryset.annotate(**joined))
        key_rows = pages.page_keys('last_modified', *joined)
        etag = strong_etag(request, SHAPES_VERSION, LIST_ROWS.paths, key_rows, pages.has_more)
        if matches(request, etag):
            return not_modified(etag)
        ids = [row[pages.id_position] for row in key_rows]
        body = {**pages.links(key_rows), 'results': rows_in_order(queryset.model, ids)}
        return with_validators(Response(body), etag)


def rows_in_order(model, ids):
    """The list shape of the executions `ids`, in that order."""
    rows = model._base_manager.filter(pk__in=ids).values_list(*LIST_ROWS.paths)
    by_id = {row[LIST_ROWS.paths.index('id')]: row for row in rows}
    return [LIST_ROWS.to_dict(by_id[pk]) for pk in ids if pk in by_id]


class JobExecutionDetailsView(generics.RetrieveAPIView):
    # Details are read as one row of DETAIL_ROWS.paths (the serializer's columns and the version's timestamps).
    queryset = JobExecution.objects.all()
    serializer_class = JobExecutionSerializer
    filter_backends = ()

    def retrieve(self, request, *args, **kwargs):
        """A client holding a tag is answered from a version query first: 304 without loading the row."""
        if request.headers.get('If-None-Match'):
            version = detail_version(self.get_queryset(), self.kwargs['pk'])
            if version is not None and matches(request, self.etag(version)):
                return not_modified(self.etag(version), last_modified=last_change(version))
        row = by_primary_key(self.get_queryset().values_list(*DETAIL_ROWS.paths), self.kwargs['pk'])
        version = tuple(row[DETAIL_ROWS.position(path)] for path in DETAIL_VERSION_PATHS)
        response = Response(DETAIL_ROWS.to_dict(row))
        return with_validators(response, self.etag(version), last_modified=last_change(version))

    def etag(self, version):
        return strong_etag(self.request, SHAPES_VERSION, version)


class JobExecutionLogsView(generics.RetrieveAPIView):
    queryset = (
        JobExecution.objects
        # the list shape is nested here; node also tells which agent to read live logs from
        .select_related('job__job_type', 'node', 'error')
        .defer(*_UNSHOWN_DOCUMENTS, *_DETAIL_DOCUMENTS)
    )
    serializer_class = JobExecutionLogSerializer
    filter_backends = ()

    def get_object(self):
        return by_primary_key(self.get_queryset(), self.kwargs['pk'])

    def retrieve(self, request, *args, **kwargs):
        """Before answering, a running execution's current task logs are read from its agent."""
        execution = with_live_logs(self.get_object())
        return Response(self.get_serializer(execution).data)


def by_primary_key(queryset, pk):
    """The one row with this pk, or a 404. Not get(): its LIMIT (and first()'s ORDER BY) make PostgreSQL plan
    these many-join lookups up to twice as long, for a result that has at most one row anyway."""
    rows = list(queryset.filter(pk=pk))
    if not rows:
        raise Http404(f'No {queryset.model._meta.object_name} matches the given query.')
    return rows[0]
