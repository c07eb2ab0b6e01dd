"""The read-only job execution endpoints: list, details, logs as JSON, and each log stream as plain text."""
from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from job.filtersets import JobExecutionFilterSet
from job.log_text import follow, follow_slots, read_range, read_tail, read_to_end, stream_rows
from job.logs import LogStream, capped_log_annotations, with_capped_logs
from job.models import JobExecution
from job.openapi import LIST_PARAMETERS
from job.serializers import (
    SHAPES_VERSION, JobExecutionBaseSerializer, JobExecutionLogSerializer, JobExecutionSerializer,
    LogTextParamsSerializer,
)
from job.throttling import LogsRateThrottle
from job.utf8 import replace_invalid
from job.versions import DETAIL_VERSION_PATHS, detail_version, in_utc, last_change, list_version, listed_changes
from scale.conditional import claimed_serial, matches, not_modified, serial_etag, strong_etag, with_validators
from scale.openapi import (
    BAD_PARAMETERS, FOLLOWS_BUSY, NO_SUCH_PAGE, NOT_FOUND, NOT_MODIFIED, THROTTLED, UNAUTHORIZED,
)
from scale.pagination import KeysetPagination
from scale.rows import RowSerializer, SerializedRows

_TEXT = 'text/plain; charset=utf-8'

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


@extend_schema(
    parameters=LIST_PARAMETERS,
    responses={
        200: JobExecutionBaseSerializer(many=True), 304: NOT_MODIFIED, 400: BAD_PARAMETERS, 401: UNAUTHORIZED,
        404: NO_SUCH_PAGE,
    },
)
class JobExecutionListView(generics.ListAPIView):
    # The page selects only LIST_ROWS.paths (the serializer's columns); the count joins only what filters need.
    # Tags carry the lists' version (job.versions), so a current one is checked without counting.
    queryset = JobExecution.objects.all()
    serializer_class = JobExecutionBaseSerializer
    filterset_class = JobExecutionFilterSet

    def list(self, request, *args, **kwargs):
        """One query for the version (and the count, unless the client's tag is current), one for the page.
        `?pagination=cursor` or a `cursor` switches to keyset pages."""
        queryset = self.filter_queryset(self.get_queryset())
        if wants_keyset_pages(request.query_params):
            return self.keyset_list(request, queryset)
        self.paginator.get_page_size(request)  # a bad page_size is a 400 even to a client holding a tag
        changes, count = list_version(queryset, known_changes=claimed_serial(request, *self.etag_version()))
        etag = self.etag(changes)
        if matches(request, etag):
            return not_modified(etag)
        page = self.paginate_queryset(SerializedRows(queryset, LIST_ROWS, count))
        return with_validators(self.get_paginated_response(page), etag)

    def keyset_list(self, request, queryset):
        """A keyset page: one query for the version (enough for a 304), one for the page. No count."""
        pages = KeysetPagination(request, queryset)
        etag = self.etag(listed_changes(queryset.db))
        if matches(request, etag):
            return not_modified(etag)
        rows = pages.page(*LIST_ROWS.paths)
        body = {**pages.links(rows), 'results': [LIST_ROWS.to_dict(row) for row in rows]}
        return with_validators(Response(body), etag)

    def etag(self, changes):
        return serial_etag(self.request, changes, *self.etag_version())

    @staticmethod
    def etag_version():
        return SHAPES_VERSION, LIST_ROWS.paths


def wants_keyset_pages(query_params):
    """True for `?pagination=cursor` or any `cursor`; another `pagination` value is a 400 naming it."""
    if 'pagination' in query_params and query_params['pagination'] != 'cursor':
        raise ValidationError({'pagination': ['Use pagination=cursor for keyset pages, or leave it out.']})
    return 'pagination' in query_params or 'cursor' in query_params


@extend_schema(responses={200: JobExecutionSerializer, 304: NOT_MODIFIED, 401: UNAUTHORIZED, 404: NOT_FOUND})
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
        version = in_utc(row[DETAIL_ROWS.position(path)] for path in DETAIL_VERSION_PATHS)
        response = Response(DETAIL_ROWS.to_dict(row))
        return with_validators(response, self.etag(version), last_modified=last_change(version))

    def etag(self, version):
        return strong_etag(self.request, SHAPES_VERSION, version)


class ReleasesResponseMixin:
    """Logs answers are megabytes: let each go as soon as it is sent.

    DRF keeps the response on the view, inside a reference cycle (view, request, parser context) that only
    the cyclic garbage collector frees, so bodies would pile up in memory until it happens to run.
    """

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        self.response = None
        return response


@extend_schema(responses={200: JobExecutionLogSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND, 429: THROTTLED})
class JobExecutionLogsView(ReleasesResponseMixin, generics.RetrieveAPIView):
    serializer_class = JobExecutionLogSerializer
    filter_backends = ()
    throttle_classes = [LogsRateThrottle]

    def get_queryset(self):
        return (
            JobExecution.objects
            # the list shape is nested here; node also tells which agent to read live logs from
            .select_related('job__job_type', 'node', 'error')
            # logs are read as capped tails in SQL, never whole
            .defer(*_LOGS, *_UNSHOWN_DOCUMENTS, *_DETAIL_DOCUMENTS)
            .annotate(**capped_log_annotations(settings.LOGS_JSON_MAX_BYTES))
        )

    def get_object(self):
        return by_primary_key(self.get_queryset(), self.kwargs['pk'])

    def retrieve(self, request, *args, **kwargs):
        """Before answering, a running execution's current task logs are read from its agent."""
        execution = with_capped_logs(self.get_object(), settings.LOGS_JSON_MAX_BYTES)
        return Response(self.get_serializer(execution).data)


class JsonErrorsNegotiation(BaseContentNegotiation):
    """Errors of the plain-text endpoints are JSON whatever the client accepts (their logs are text anyway)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return None


def _header(name, description, type_=OpenApiTypes.STR):
    return OpenApiParameter(name, type_, OpenApiParameter.HEADER, description=description, response=[200])


LOG_TEXT_HEADERS = [
    _header('X-Log-Offset', 'The offset to ask for next (for a follow or a download: where the body starts).',
            OpenApiTypes.INT),
    _header('X-Log-Start', 'With tail: the byte offset of the first byte answered.', OpenApiTypes.INT),
    _header('X-More-Data', '"true" when more may come.'),
    _header('X-Log-Warning', 'The live part could not be read; the stored part is answered.'),
    _header('Content-Disposition', 'With download=true: attachment; filename="execution-<id>-<stream>.log".'),
    _header('X-Accel-Buffering', 'With follow=true: "no", so proxies pass bytes on as they come.'),
]


@extend_schema(
    parameters=[LogTextParamsSerializer, *LOG_TEXT_HEADERS],
    responses={
        (200, _TEXT): OpenApiResponse(
            OpenApiTypes.STR,
            description='The bytes from the offset; X-Log-Offset is next. A tail says where it starts in X-Log-Start. '
                        'download=true adds Content-Disposition: attachment; filename="execution-<id>-<stream>.log".',
        ),
        204: OpenApiResponse(description='Nothing at this offset, and the execution is finished.'),
        400: BAD_PARAMETERS, 401: UNAUTHORIZED, 404: NOT_FOUND, 429: THROTTLED, 503: FOLLOWS_BUSY,
    },
)
class JobExecutionLogTextView(ReleasesResponseMixin, generics.GenericAPIView):
    """One log stream (`stream` = stdout or stderr) as plain text, by byte offset, tail or follow."""
    stream = None
    filter_backends = ()
    throttle_classes = [LogsRateThrottle]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsNegotiation

    def get_queryset(self):
        return stream_rows(self.stream)

    def get(self, request, *args, **kwargs):
        params = LogTextParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        params = params.validated_data
        stream = LogStream.of(self.get_object(), self.stream)
        response = self._answer(stream, params)
        if params['download']:
            response = as_attachment(response, f'execution-{stream.execution_id}-{self.stream}.log')
        return response

    def _answer(self, stream, params):
        if params['follow']:
            return self._follow(stream, params)
        limit = min(params.get('limit', settings.LOGS_MAX_BYTES), settings.LOGS_MAX_BYTES)
        if 'tail' in params:
            read = read_tail(stream, params['tail'], limit, since=params.get('offset', 0))
            return _text_response(read, start=read.offset)
        if params['download']:  # a file to save is the whole stream, however large
            offset = params.get('offset', 0)
            response = StreamingHttpResponse(read_to_end(stream, offset, params.get('limit')), content_type=_TEXT)
            response['X-Log-Offset'] = str(offset)
            return _no_cache(response)
        return _text_response(read_range(stream, params.get('offset', 0), limit))

    def _follow(self, stream, params):
        offset = params.get('offset', 0)
        if 'tail' in params:
            offset = read_tail(stream, params['tail'], settings.LOGS_MAX_BYTES, since=offset).offset
        response = self._follow_from(stream, offset, params)
        if 'tail' in params:
            response['X-Log-Start'] = str(offset)
        return response

    def _follow_from(self, stream, offset, params):
        chunks = follow_slots.hold(follow(stream.execution_id, self.stream, offset, params.get('limit')))
        if chunks is None:
            raise FollowsBusy()
        response = StreamingHttpResponse(chunks, content_type=_TEXT)
        # Proxies must pass bytes on as they come rather than buffer the answer.
        response['X-Accel-Buffering'] = 'no'
        response['X-Log-Offset'] = str(offset)
        return _no_cache(response)


class FollowsBusy(APIException):
    status_code = 503
    default_detail = 'Too many logs are being followed here right now; poll with offset, or follow again shortly.'
    wait = 5  # seconds, sent as Retry-After


def _text_response(read, start=None):
    if not read.data and not read.more:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse(replace_invalid(read.data), content_type=_TEXT)
    response['X-Log-Offset'] = str(read.next_offset)
    if start is not None:  # a tail: where its first byte sits, so earlier bytes can be read by offset
        response['X-Log-Start'] = str(start)
    if read.more:
        response['X-More-Data'] = 'true'
    if read.warning:
        # A header is one line of ASCII; agent errors may hold anything.
        response['X-Log-Warning'] = ' '.join(read.warning.encode('ascii', 'replace').decode().split())[:500]
    return _no_cache(response)


def as_attachment(response, filename):
    if response.status_code == 204:  # a file to save is never "no content": an empty file
        response.status_code = 200
        response['Content-Type'] = _TEXT
    response['Content-Disposition'] = content_disposition_header(True, filename)
    return response


def _no_cache(response):
    response['Cache-Control'] = 'no-store'
    # Logs are untrusted text: a browser must never sniff them as HTML.
    response['X-Content-Type-Options'] = 'nosniff'
    return response


def by_primary_key(queryset, pk):
    """The one row with this pk, or a 404. Not get(): its LIMIT (and first()'s ORDER BY) make PostgreSQL plan
    these many-join lookups up to twice as long, for a result that has at most one row anyway."""
    rows = list(queryset.filter(pk=pk))
    if not rows:
        raise Http404(f'No {queryset.model._meta.object_name} matches the given query.')
    return rows[0]
