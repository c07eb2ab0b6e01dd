"""The read-only job execution endpoints: list, details, logs as JSON, and each log stream as plain text."""
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from job.filtersets import JobExecutionFilterSet
from job.log_text import follow, read_range, read_tail
from job.logs import LogStream, capped_log_annotations, with_capped_logs
from job.models import JobExecution
from job.openapi import LIST_PARAMETERS
from job.serializers import (
    JobExecutionBaseSerializer, JobExecutionLogSerializer, JobExecutionSerializer, LogTextParamsSerializer,
)
from job.throttling import LogsRateThrottle
from job.utf8 import replace_invalid
from scale.openapi import BAD_PARAMETERS, NOT_FOUND, THROTTLED, UNAUTHORIZED

_TEXT = 'text/plain; charset=utf-8'

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
    responses={200: JobExecutionBaseSerializer(many=True), 400: BAD_PARAMETERS, 401: UNAUTHORIZED},
)
class JobExecutionListView(generics.ListAPIView):
    queryset = (
        JobExecution.objects
        # job, its job_type, node and error are nested in every result
        .select_related('job__job_type', 'node', 'error')
        .defer(*_LOGS, *_UNSHOWN_DOCUMENTS, *_DETAIL_DOCUMENTS)
    )
    serializer_class = JobExecutionBaseSerializer
    filterset_class = JobExecutionFilterSet


@extend_schema(responses={200: JobExecutionSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND})
class JobExecutionDetailsView(generics.RetrieveAPIView):
    queryset = (
        JobExecution.objects
        # the job in full shows its revision, event and error; node and error are nested too
        .select_related('job__job_type', 'job__job_type_rev', 'job__event', 'job__error', 'node', 'error')
        .defer(*_LOGS, *_UNSHOWN_DOCUMENTS)
    )
    serializer_class = JobExecutionSerializer
    filter_backends = ()


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


@extend_schema(
    parameters=[LogTextParamsSerializer],
    responses={
        (200, _TEXT): OpenApiResponse(OpenApiTypes.STR, description='The bytes from the offset; X-Log-Offset is next.'),
        204: OpenApiResponse(description='Nothing at this offset, and the execution is finished.'),
        400: BAD_PARAMETERS, 401: UNAUTHORIZED, 404: NOT_FOUND, 429: THROTTLED,
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
        return (
            JobExecution.objects
            .select_related('node')  # node: the agent that serves the live file
            .only('status', f'current_{self.stream}_url', 'node__hostname', 'node__port')
            .annotate(**LogStream.annotations(self.stream))
        )

    def get(self, request, *args, **kwargs):
        params = LogTextParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        params = params.validated_data
        stream = LogStream.of(self.get_object(), self.stream)
        if params['follow']:
            return self._follow(stream, params)
        limit = min(params.get('limit', settings.LOGS_MAX_BYTES), settings.LOGS_MAX_BYTES)
        if 'tail' in params:
            return _text_response(read_tail(stream, params['tail'], limit))
        return _text_response(read_range(stream, params.get('offset', 0), limit))

    def _follow(self, stream, params):
        offset = params.get('offset', 0)
        if 'tail' in params:
            offset = read_tail(stream, params['tail'], settings.LOGS_MAX_BYTES).offset
        response = StreamingHttpResponse(follow(stream.execution_id, self.stream, offset, params.get('limit')),
                                         content_type=_TEXT)
        # Proxies must pass bytes on as they come rather than buffer the answer.
        response['X-Accel-Buffering'] = 'no'
        response['X-Log-Offset'] = str(offset)
        return _no_cache(response)


def _text_response(read):
    if not read.data and not read.more:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse(replace_invalid(read.data), content_type=_TEXT)
    response['X-Log-Offset'] = str(read.next_offset)
    if read.more:
        response['X-More-Data'] = 'true'
    if read.warning:
        # A header is one line of ASCII; agent errors may hold anything.
        response['X-Log-Warning'] = ' '.join(read.warning.encode('ascii', 'replace').decode().split())[:500]
    return _no_cache(response)


def _no_cache(response):
    response['Cache-Control'] = 'no-store'
    # Logs are untrusted text: a browser must never sniff them as HTML.
    response['X-Content-Type-Options'] = 'nosniff'
    return response
