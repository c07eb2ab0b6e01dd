"""The three read-only job execution endpoints: list, details and logs."""
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from job.filtersets import JobExecutionFilterSet
from job.logs import with_live_logs
from job.models import JobExecution
from job.openapi import LIST_PARAMETERS
from job.serializers import JobExecutionBaseSerializer, JobExecutionLogSerializer, JobExecutionSerializer
from scale.openapi import BAD_PARAMETERS, NOT_FOUND, UNAUTHORIZED

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


@extend_schema(responses={200: JobExecutionLogSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND})
class JobExecutionLogsView(generics.RetrieveAPIView):
    queryset = (
        JobExecution.objects
        # the list shape is nested here; node also tells which agent to read live logs from
        .select_related('job__job_type', 'node', 'error')
        .defer(*_UNSHOWN_DOCUMENTS, *_DETAIL_DOCUMENTS)
    )
    serializer_class = JobExecutionLogSerializer
    filter_backends = ()

    def retrieve(self, request, *args, **kwargs):
        """Before answering, a running execution's current task logs are read from its agent."""
        execution = with_live_logs(self.get_object())
        return Response(self.get_serializer(execution).data)
