"""Jobs, their types and executions, laid out exactly as Scale's tables so a Scale database can be served."""

from django.db import models


class TriggerRule(models.Model):
    type = models.CharField(max_length=50, db_index=True)
    name = models.CharField(max_length=50, blank=True)
    configuration = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    archived = models.DateTimeField(null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'trigger_rule'


class TriggerEvent(models.Model):
    type = models.CharField(max_length=50, db_index=True)
    rule = models.ForeignKey(TriggerRule, on_delete=models.PROTECT, null=True)
    description = models.JSONField(default=dict)
    occurred = models.DateTimeField(db_index=True)

    class Meta:
        db_table = 'trigger_event'


class JobType(models.Model):
    name = models.CharField(max_length=50, db_index=True)
    version = models.CharField(max_length=50, db_index=True)
    title = models.CharField(max_length=50, null=True)
    description = models.TextField(null=True)
    category = models.CharField(max_length=50, null=True, db_index=True)
    author_name = models.CharField(max_length=50, null=True)
    author_url = models.TextField(null=True)
    is_system = models.BooleanField(default=False)
    is_long_running = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_operational = models.BooleanField(default=True)
    is_paused = models.BooleanField(default=False)
    requires_cleanup = models.BooleanField(default=True)
    uses_docker = models.BooleanField(default=True)
    docker_privileged = models.BooleanField(default=False)
    docker_image = models.CharField(max_length=500, null=True)
    interface = models.JSONField(default=dict)
    docker_params = models.JSONField(null=True)
    revision_num = models.IntegerField(default=1)
    error_mapping = models.JSONField(default=dict)
    trigger_rule = models.ForeignKey(TriggerRule, on_delete=models.PROTECT, null=True)
    priority = models.IntegerField(default=100)
    max_scheduled = models.IntegerField(null=True)
    timeout = models.IntegerField(default=1800)
    max_tries = models.IntegerField(default=3)
    cpus_required = models.FloatField(default=1.0)
    mem_required = models.FloatField(default=64.0)
    disk_out_const_required = models.FloatField(default=64.0)
    disk_out_mult_required = models.FloatField(default=0.0)
    icon_code = models.CharField(max_length=20, null=True)
    created = models.DateTimeField(auto_now_add=True)
    archived = models.DateTimeField(null=True)
    paused = models.DateTimeField(null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'job_type'
        unique_together = ('name', 'version')

    def __str__(self):
        return f'{self.name} {self.version}'


class JobTypeRevision(models.Model):
    job_type = models.ForeignKey(JobType, on_delete=models.PROTECT)
    revision_num = models.IntegerField()
    interface = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = 'job_type_revision'
        unique_together = ('job_type', 'revision_num')


class Job(models.Model):
    class Status(models.TextChoices):
        PENDING = 'PENDING'
        BLOCKED = 'BLOCKED'
        QUEUED = 'QUEUED'
        RUNNING = 'RUNNING'
        FAILED = 'FAILED'
        COMPLETED = 'COMPLETED'
        CANCELED = 'CANCELED'

    job_type = models.ForeignKey(JobType, on_delete=models.PROTECT)
    job_type_rev = models.ForeignKey(JobTypeRevision, on_delete=models.PROTECT)
    status = models.CharField(max_length=50, choices=Status.choices, default=Status.PENDING, db_index=True)
    event = models.ForeignKey(TriggerEvent, on_delete=models.PROTECT)
    error = models.ForeignKey('error.Error', on_delete=models.PROTECT, null=True)
    data = models.JSONField(default=dict)
    results = models.JSONField(default=dict)
    docker_params = models.JSONField(null=True)
    priority = models.IntegerField()
    timeout = models.IntegerField()
    max_tries = models.IntegerField()
    num_exes = models.IntegerField(default=0)
    cpus_required = models.FloatField(null=True)
    mem_required = models.FloatField(null=True)
    disk_in_required = models.FloatField(null=True)
    disk_out_required = models.FloatField(null=True)
    is_superseded = models.BooleanField(default=False)
    root_superseded_job = models.ForeignKey(
        'self', on_delete=models.PROTECT, null=True, related_name='superseded_by_jobs'
    )
    superseded_job = models.OneToOneField('self', on_delete=models.PROTECT, null=True, related_name='superseded_by_job')
    delete_superseded = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    queued = models.DateTimeField(null=True)
    started = models.DateTimeField(null=True)
    ended = models.DateTimeField(null=True)
    last_status_change = models.DateTimeField(null=True)
    superseded = models.DateTimeField(null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'job'
        indexes = [
            models.Index(fields=['last_modified', 'job_type', 'status']),
            # Job type filters on the execution list find their jobs' ids from the index alone.
            models.Index(fields=['job_type', 'id'], name='job_type_id_id'),
        ]


class JobExecution(models.Model):
    class Status(models.TextChoices):
        QUEUED = 'QUEUED'
        RUNNING = 'RUNNING'
        FAILED = 'FAILED'
        COMPLETED = 'COMPLETED'
        CANCELED = 'CANCELED'

    FINAL_STATUSES = (Status.FAILED, Status.COMPLETED, Status.CANCELED)

    job = models.ForeignKey(Job, on_delete=models.PROTECT)
    # The job's type, kept beside the execution as Scale 5 keeps it; on PostgreSQL triggers copy it from the job
    # (migration 0007), whose own foreign key holds it, so no second key makes writers lock the job type (0008).
    job_type = models.ForeignKey(
        JobType, on_delete=models.PROTECT, null=True, db_index=False, db_constraint=False, related_name='+'
    )
    status = models.CharField(max_length=50, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.ForeignKey('error.Error', on_delete=models.PROTECT, null=True)
    command_arguments = models.CharField(max_length=1000)
    timeout = models.IntegerField()
    docker_params = models.JSONField(null=True)
    node = models.ForeignKey('node.Node', on_delete=models.PROTECT, null=True)
    environment = models.JSONField(default=dict)
    cpus_scheduled = models.FloatField(null=True)
    mem_scheduled = models.FloatField(null=True)
    disk_in_scheduled = models.FloatField(null=True)
    disk_out_scheduled = models.FloatField(null=True)
    disk_total_scheduled = models.FloatField(null=True)
    requires_cleanup = models.BooleanField(default=False, db_index=True)
    cleanup_job = models.ForeignKey(Job, on_delete=models.PROTECT, null=True, related_name='cleaned_up_executions')
    pre_task_id = models.CharField(max_length=50, null=True)
    pre_started = models.DateTimeField(null=True)
    pre_completed = models.DateTimeField(null=True)
    pre_exit_code = models.IntegerField(null=True)
    job_task_id = models.CharField(max_length=50, null=True)
    job_started = models.DateTimeField(null=True)
    job_completed = models.DateTimeField(null=True)
    job_exit_code = models.IntegerField(null=True)
    job_metrics = models.JSONField(null=True)
    post_task_id = models.CharField(max_length=50, null=True)
    post_started = models.DateTimeField(null=True)
    post_completed = models.DateTimeField(null=True)
    post_exit_code = models.IntegerField(null=True)
    stdout = models.TextField(null=True)
    stderr = models.TextField(null=True)
    current_stdout_url = models.URLField(max_length=600, null=True)
    current_stderr_url = models.URLField(max_length=600, null=True)
    results_manifest = models.JSONField(default=dict)
    results = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)
    queued = models.DateTimeField()
    started = models.DateTimeField(null=True)
    ended = models.DateTimeField(null=True)
    cleaned_up = models.DateTimeField(null=True)
    last_modified = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        db_table = 'job_exe'
        # The list's default order, its keyset pages, and its status and node filters in that order (id breaks ties).
        indexes = [
            models.Index(fields=['last_modified', 'id'], name='job_exe_last_modified_id'),
            models.Index(fields=['status', 'last_modified', 'id'], name='job_exe_status_modified_id'),
            models.Index(fields=['node', 'last_modified', 'id'], name='job_exe_node_modified_id'),
            # A status and a node together walk only their own rows; with a job type, each entry's type is checked in
            # the index, without visiting its row (docs/performance.md).
            models.Index(
                fields=['status', 'node', 'last_modified', 'id', 'job_type'], name='job_exe_status_node_modified'
            ),
            # One job type's pages, however deep, walk only its executions.
            models.Index(fields=['job_type', 'last_modified', 'id'], name='job_exe_type_modified_id'),
        ]

    @property
    def is_finished(self):
        return self.status in self.FINAL_STATUSES


class ListedChange(models.Model):
    """Ours, not Scale's: counts the committed writes to the tables a list answer shows (executions, jobs, job types,
    nodes, errors). Database triggers (migration 0004) add the rows; the sum of `changes` is the lists' version.

    On PostgreSQL every write statement inserts a row (writers never wait on each other here) and now and then
    a writer folds committed rows into one, keeping the sum; on SQLite, which has one writer at a time, a single
    row is incremented.
    """

    id = models.BigAutoField(primary_key=True)
    changes = models.BigIntegerField()

    class Meta:
        db_table = 'api_listed_change'
