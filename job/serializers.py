"""The JSON shapes of job executions and of the job, type, revision and event nested in them.

Base serializers are the list shapes (and the nested shapes elsewhere); their subclasses add the detail fields.
"""

from rest_framework import serializers

from error.serializers import ErrorBaseSerializer, ErrorSerializer
from job.models import Job, JobExecution, JobType, JobTypeRevision, TriggerEvent
from node.serializers import NodeBaseSerializer, NodeSerializer
from scale.rows import RowSerializer, version_paths
from scale.serializers import IdReferenceField, ModelSerializer


class JobTypeBaseSerializer(ModelSerializer):
    class Meta:
        model = JobType
        fields = [
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
        ]


class JobTypeRevisionSerializer(ModelSerializer):
    job_type = IdReferenceField()

    class Meta:
        model = JobTypeRevision
        fields = ['id', 'job_type', 'revision_num']


class TriggerEventSerializer(ModelSerializer):
    rule = IdReferenceField(allow_null=True)  # a user's event has no rule

    class Meta:
        model = TriggerEvent
        fields = ['id', 'type', 'rule', 'occurred']


class JobBaseSerializer(ModelSerializer):
    job_type = JobTypeBaseSerializer()
    job_type_rev = IdReferenceField()
    event = IdReferenceField()
    error = IdReferenceField(allow_null=True)

    class Meta:
        model = Job
        fields = ['id', 'job_type', 'job_type_rev', 'event', 'error', 'status', 'priority', 'num_exes']


class JobSerializer(JobBaseSerializer):
    job_type_rev = JobTypeRevisionSerializer()
    event = TriggerEventSerializer()
    error = ErrorBaseSerializer(allow_null=True)

    class Meta(JobBaseSerializer.Meta):
        fields = JobBaseSerializer.Meta.fields + [
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
        ]


class JobExecutionBaseSerializer(ModelSerializer):
    job = JobBaseSerializer()
    node = NodeBaseSerializer(allow_null=True)
    error = ErrorBaseSerializer(allow_null=True)

    class Meta:
        model = JobExecution
        fields = [
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
        ]


class JobExecutionSerializer(JobExecutionBaseSerializer):
    job = JobSerializer()
    node = NodeSerializer(allow_null=True)
    error = ErrorSerializer(allow_null=True)

    class Meta(JobExecutionBaseSerializer.Meta):
        fields = JobExecutionBaseSerializer.Meta.fields + [
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
        ]


class LogTextField(serializers.CharField):
    """A stream's text from the `logs` in the serializer's context ({name: job.log_json.CappedLog}), not from the
    row: the row's column holds only the logs of finished tasks, and may be megabytes."""

    def __init__(self, **kwargs):
        # Described as the model's nullable text column was (output only: this serializer is never given data).
        super().__init__(source='*', required=False, allow_null=True, **kwargs)

    def to_representation(self, execution):
        return self.context['logs'][self.field_name].text


class JobExecutionLogSerializer(JobExecutionBaseSerializer):
    # The JSON logs answer; its context holds the logs: {'logs': job.log_json.capped_logs(...)}.
    is_finished = serializers.BooleanField(read_only=True)
    stdout = LogTextField()
    stderr = LogTextField()

    class Meta(JobExecutionBaseSerializer.Meta):
        fields = JobExecutionBaseSerializer.Meta.fields + ['is_finished', 'stdout', 'stderr']

    def to_representation(self, instance):
        """`<stream>_truncated: true` appears only when a stream was cut, so uncut answers keep Scale's shape."""
        data = super().to_representation(instance)
        for name, log in self.context['logs'].items():
            if log.truncated:
                data[f'{name}_truncated'] = True
        return data


class LogTextParamsSerializer(serializers.Serializer):
    """The query parameters of the plain-text logs endpoints."""

    offset = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)
    tail = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    follow = serializers.BooleanField(required=False, default=False)
    download = serializers.BooleanField(
        required=False,
        default=False,
        help_text='Answer as a file to save (Content-Disposition: attachment); without tail or follow, the whole '
        'stream from offset as it is now, not cut at LOGS_MAX_BYTES.',
    )


# Scale writes these rows once and never updates them: details need no version of theirs.
IMMUTABLE_MODELS = (JobTypeRevision, TriggerEvent)
# The change timestamps of every row details show (checked when built: a joined row without one is an error).
DETAIL_VERSION_PATHS = version_paths(JobExecutionSerializer, 'last_modified', immutable=IMMUTABLE_MODELS)

# List pages and details are read as rows and turned into their shapes without building models or DRF fields;
# their fingerprints are part of every ETag, so a changed shape never revalidates an old answer.
LIST_ROWS = RowSerializer(JobExecutionBaseSerializer)
DETAIL_ROWS = RowSerializer(JobExecutionSerializer, extra_paths=DETAIL_VERSION_PATHS)
