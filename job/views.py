"""The read-only job execution endpoints: list, details, logs as JSON, and each log stream as plain text."""

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from job.counts import GroupSizes, sizes_sql
from job.filtersets import JobExecutionFilterSet
from job.log_json import capped_logs
from job.log_stream import LogStream
from job.log_text import (
    ClientConnection,
    FollowsRefused,
    follow,
    follow_slots,
    read_from_offset,
    read_tail,
    read_to_end,
)
from job.models import JobExecution
from job.openapi import FOLLOWS_BUSY, LIST_PARAMETERS, NOT_FOUND
from job.selectors import detail_version, details_row, json_logs_row, list_version, listed_changes, stream_row
from job.serializers import (
    DETAIL_ROWS,
    LIST_ROWS,
    JobExecutionBaseSerializer,
    JobExecutionLogSerializer,
    JobExecutionSerializer,
    LogTextParamsSerializer,
)
from job.throttling import LogsRateThrottle
from job.utf8 import replace_invalid
from scale.conditional import ConditionalListMixin, ConditionalRetrieveMixin
from scale.filters import filter_values
from scale.openapi import BAD_PARAMETERS, NO_SUCH_PAGE, NOT_MODIFIED, THROTTLED, UNAUTHORIZED
from scale.pagination import RequestedPaginationMixin

_TEXT = 'text/plain; charset=utf-8'


class ReleasesResponseMixin:
    """Logs answers are megabytes: let each go as soon as it is sent.

    DRF keeps the response on the view, inside a reference cycle (view, request, parser context) that only
    the cyclic garbage collector frees, so bodies would pile up in memory until it happens to run.
    """

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        self.response = None
        return response


class JsonErrorsNegotiation(BaseContentNegotiation):
    """Errors of the plain-text endpoints are JSON whatever the client accepts (their logs are text anyway)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return None


class FollowsBusy(APIException):
    status_code = 503
    default_detail = 'Too many logs are being followed here right now; poll with offset, or follow again shortly.'
    per_client_detail = 'This client follows as many logs as it may at once; end one, or poll with offset.'
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


def _header(name, description, type_=OpenApiTypes.STR):
    return OpenApiParameter(name, type_, OpenApiParameter.HEADER, description=description, response=[200])


LOG_TEXT_HEADERS = [
    _header(
        'X-Log-Offset',
        'The offset to ask for next (for a follow or a download: where the body starts).',
        OpenApiTypes.INT,
    ),
    _header('X-Log-Start', 'With tail: the byte offset of the first byte answered.', OpenApiTypes.INT),
    _header('X-More-Data', '"true" when more may come.'),
    _header('X-Log-Warning', 'The live part could not be read; the stored part is answered.'),
    _header('Content-Disposition', 'With download=true: attachment; filename="execution-<id>-<stream>.log".'),
    _header('X-Accel-Buffering', 'With follow=true: "no", so proxies pass bytes on as they come.'),
]

_LOG_TEXT_SCHEMA = extend_schema(
    parameters=[LogTextParamsSerializer, *LOG_TEXT_HEADERS],
    responses={
        (200, _TEXT): OpenApiResponse(
            OpenApiTypes.STR,
            description='The bytes from the offset; X-Log-Offset is next. A tail says where it starts in X-Log-Start. '
            'download=true adds Content-Disposition: attachment; filename="execution-<id>-<stream>.log".',
        ),
        204: OpenApiResponse(description='Nothing at this offset, and the execution is finished.'),
        400: BAD_PARAMETERS,
        401: UNAUTHORIZED,
        404: NOT_FOUND,
        429: THROTTLED,
        503: FOLLOWS_BUSY,
    },
)
# The logs endpoints reach out to agents and send megabytes: their own rate limit. The plain-text ones answer
# errors in JSON whatever the client accepts.
_LOGS = {'throttle_classes': [LogsRateThrottle], 'filter_backends': ()}
_LOG_TEXT = {**_LOGS, 'renderer_classes': [JSONRenderer], 'content_negotiation_class': JsonErrorsNegotiation}


@extend_schema_view(
    list=extend_schema(
        description='Job executions, filtered, ordered and paginated.',
        parameters=LIST_PARAMETERS,
        responses={
            200: JobExecutionBaseSerializer(many=True),
            304: NOT_MODIFIED,
            400: BAD_PARAMETERS,
            401: UNAUTHORIZED,
            404: NO_SUCH_PAGE,
        },
    ),
    retrieve=extend_schema(
        description='One execution with its job, node, error, environment and results.',
        responses={200: JobExecutionSerializer, 304: NOT_MODIFIED, 401: UNAUTHORIZED, 404: NOT_FOUND},
    ),
    logs=extend_schema(responses={200: JobExecutionLogSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND, 429: THROTTLED}),
    stdout=_LOG_TEXT_SCHEMA,
    stderr=_LOG_TEXT_SCHEMA,
)
class JobExecutionViewSet(
    ReleasesResponseMixin,
    ConditionalListMixin,
    ConditionalRetrieveMixin,
    RequestedPaginationMixin,
    viewsets.GenericViewSet,
):
    """Job executions, read-only: a list, details, and logs as JSON or as plain text by stream."""

    queryset = JobExecution.objects.all()
    serializer_class = JobExecutionSerializer
    filterset_class = JobExecutionFilterSet
    # Ids are digits only and fit a 64-bit integer: anything else is a 404, not a database error.
    lookup_value_regex = '[0-9]{1,18}'
    list_rows = LIST_ROWS
    detail_rows = DETAIL_ROWS

    group_sizes = None

    def list_version(self, queryset, counted, known):
        """The lists' version and, for page numbers, the filtered count, in one statement (job.selectors). Filtered
        by status, job type and node alone, PostgreSQL sums per-group counts instead of counting rows, and learns
        how to find the page (job.counts.GroupSizes)."""
        if not counted:
            return listed_changes(queryset.db), None
        filters = filter_values(self.filterset)
        sizes = sizes_sql(queryset.db, filters)
        if sizes is None:
            return list_version(queryset, known_changes=known)
        version, sizes = list_version(queryset, known_changes=known, count=sizes)
        if sizes is None:  # the client's tag is current: no page follows
            return version, None
        self.group_sizes = GroupSizes.read(sizes, filters)
        return version, self.group_sizes.count

    def page_queryset(self, queryset):
        """With job type filters, the page filters on the ids of the job types they select (read with the count)
        rather than on names or categories two joins away, so PostgreSQL sees a rare job type as rare. No job type
        selected: no page to read."""
        if self.group_sizes is None or self.group_sizes.job_type_ids is None:
            return queryset
        return self.filterset.filter_by_job_type_ids(self.get_queryset(), self.group_sizes.job_type_ids)

    def sorts_matches(self, end):
        return self.group_sizes is not None and self.group_sizes.sorts_matches(end)

    def row_version(self, pk):
        return detail_version(pk)

    def versioned_row(self, pk):
        return details_row(pk)

    @action(detail=True, serializer_class=JobExecutionLogSerializer, **_LOGS)
    def logs(self, request, pk):
        """The execution with its stdout and stderr, read live from its agent while a task runs."""
        execution = json_logs_row(pk, settings.LOGS_JSON_MAX_BYTES)
        logs = capped_logs(execution, settings.LOGS_JSON_MAX_BYTES)
        return Response(JobExecutionLogSerializer(execution, context={'logs': logs}).data)

    @action(detail=True, url_path='logs/stdout', **_LOG_TEXT)
    def stdout(self, request, pk):
        """The execution's stdout as plain text, by byte offset, tail or follow."""
        return log_text(request, pk, 'stdout')

    @action(detail=True, url_path='logs/stderr', **_LOG_TEXT)
    def stderr(self, request, pk):
        """The execution's stderr as plain text, by byte offset, tail or follow."""
        return log_text(request, pk, 'stderr')


def log_text(request, pk, name):
    """One log stream as plain text, by byte offset, tail or follow, or as a file to save (download)."""
    params = LogTextParamsSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    params = params.validated_data
    stream = LogStream.of(stream_row(pk, name), name)
    response = _log_text_answer(stream, params, request)
    if params['download']:
        response = as_attachment(response, f'execution-{stream.execution_id}-{name}.log')
    return response


def _log_text_answer(stream, params, request):
    if params['follow']:
        return _follow(stream, params, request)
    limit = min(params.get('limit', settings.LOGS_MAX_BYTES), settings.LOGS_MAX_BYTES)
    if 'tail' in params:
        read = read_tail(stream, params['tail'], limit, since=params.get('offset', 0))
        return _text_response(read, start=read.offset)
    if params['download']:  # a file to save is the whole stream, however large
        offset = params.get('offset', 0)
        response = StreamingHttpResponse(read_to_end(stream, offset, params.get('limit')), content_type=_TEXT)
        response['X-Log-Offset'] = str(offset)
        return _no_cache(response)
    return _text_response(read_from_offset(stream, params.get('offset', 0), limit))


def _follow(stream, params, request):
    offset = params.get('offset', 0)
    if 'tail' in params:
        offset = read_tail(stream, params['tail'], settings.LOGS_MAX_BYTES, since=offset).offset
    response = _follow_from(stream, offset, params, request)
    if 'tail' in params:
        response['X-Log-Start'] = str(offset)
    return response


def _follow_from(stream, offset, params, request):
    client = ClientConnection.of(request)
    chunks = follow(stream.execution_id, stream.name, offset, params.get('limit'), client)
    try:
        chunks = follow_slots.hold(chunks, client_key=LogsRateThrottle().client_key(request))
    except FollowsRefused as refused:
        chunks.close()
        raise FollowsBusy(FollowsBusy.per_client_detail if refused.per_client else None)
    response = StreamingHttpResponse(chunks, content_type=_TEXT)
    # Proxies must pass bytes on as they come rather than buffer the answer.
    response['X-Accel-Buffering'] = 'no'
    response['X-Log-Offset'] = str(offset)
    return _no_cache(response)
