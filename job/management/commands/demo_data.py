"""Fill an empty database with a realistic, reproducible demo set: `manage.py demo_data [--executions N] [--seed S]`.

Job types, trigger rules and events, nodes, Scale's errors, and jobs whose executions are in every status, spread
over the past four weeks. A database that already holds data is left alone, so `make run` can call this every time.
"""

import bisect
import itertools
import random
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import DateTimeField, JSONField
from django.utils import timezone
from tqdm import tqdm

from error.models import Error
from job.models import Job, JobExecution, JobType, JobTypeRevision, TriggerEvent, TriggerRule
from node.models import Node

Status = JobExecution.Status
WINDOW_DAYS = 28
BATCH_SIZE = 1000
# Executions generated and inserted per round: memory stays flat however many are asked for.
ROUND_SIZE = 5000

FRAMEWORK_ID = '20160523-154401-1745094922-5050-8392-0000'
SLAVE_ID_PREFIX = '20160523-154401-1745094922-5050-8392-S'
SANDBOX_URL = (
    'http://{hostname}:{port}/files/download.json?path=/var/lib/mesos/slaves/{slave_id}'
    '/frameworks/{framework_id}/executors/{task_id}/runs/latest/{log}'
)


@dataclass(frozen=True)
class DemoJobType:
    """A job type of the demo and how its jobs behave; `{n}` in the file patterns is a random number."""

    name: str
    version: str
    title: str
    category: str
    icon_code: str
    description: str
    share: int  # relative number of jobs of this type
    run_seconds: int  # typical length of the job task
    input_file: str
    output_file: str
    event_type: str
    arguments: str = '/scale/input_data/{input_file} /scale/output_data'
    is_system: bool = False
    revisions: int = 1
    active_days: tuple = (WINDOW_DAYS, 0)  # its jobs ended between these many days ago
    cpus: float = 1.0
    mem: float = 1024.0
    timeout: int = 1800
    priority: int = 100


JOB_TYPES = (
    DemoJobType(
        'scale-ingest',
        '1.0',
        'Scale Ingest',
        'system',
        'f013',
        'Ingests a source file into a workspace.',
        share=24,
        run_seconds=25,
        input_file='LC8{n:06d}LGN00.tar.gz',
        output_file='LC8{n:06d}LGN00.tar.gz',
        event_type='STRIKE_TRANSFER',
        is_system=True,
        cpus=0.5,
        mem=256.0,
        timeout=3600,
        priority=10,
    ),
    DemoJobType(
        'scale-clean',
        '1.0',
        'Scale Clean',
        'system',
        'f1f8',
        'Deletes what finished executions left on a node.',
        share=8,
        run_seconds=8,
        input_file='job_exe_{n}',
        output_file='job_exe_{n}.cleaned',
        event_type='CLEANUP',
        arguments='--job-exe {input_file}',
        is_system=True,
        cpus=0.25,
        mem=64.0,
        priority=5,
    ),
    DemoJobType(
        'nitf-parse',
        '1.0',
        'NITF Parser',
        'ingest',
        'f0c5',
        'Reads the metadata of NITF images.',
        share=10,
        run_seconds=40,
        input_file='IMG_{n:05d}.ntf',
        output_file='IMG_{n:05d}.json',
        event_type='INGEST',
        mem=512.0,
    ),
    DemoJobType(
        'landsat-ndvi',
        '1.0',
        'Landsat NDVI',
        'raster',
        'f06c',
        'Vegetation index from Landsat 8 bands 4 and 5.',
        share=8,
        run_seconds=300,
        input_file='LC8{n:06d}LGN00_B4.TIF',
        output_file='LC8{n:06d}LGN00_NDVI.tif',
        event_type='PARSE',
        arguments='--red /scale/input_data/{input_file} --out /scale/output_data',
        revisions=2,
        active_days=(WINDOW_DAYS, 12),
        mem=2048.0,
    ),
    DemoJobType(
        'landsat-ndvi',
        '2.0',
        'Landsat NDVI',
        'raster',
        'f06c',
        'Vegetation index from Landsat 8, cloud-masked.',
        share=12,
        run_seconds=240,
        input_file='LC8{n:06d}LGN00_B4.TIF',
        output_file='LC8{n:06d}LGN00_NDVI.tif',
        event_type='PARSE',
        arguments='--red /scale/input_data/{input_file} --mask-clouds --out /scale/output_data',
        revisions=3,
        active_days=(12, 0),
        cpus=2.0,
        mem=2048.0,
    ),
    DemoJobType(
        'geotiff-tiler',
        '1.3',
        'GeoTIFF Tiler',
        'raster',
        'f00a',
        'Cuts a mosaic into web map tiles.',
        share=10,
        run_seconds=600,
        input_file='mosaic_{n:05d}.tif',
        output_file='mosaic_{n:05d}_tiles.zip',
        event_type='PARSE',
        cpus=2.0,
        mem=4096.0,
        timeout=3600,
    ),
    DemoJobType(
        'shapefile-validate',
        '1.1',
        'Shapefile Validator',
        'vector',
        'f0ae',
        'Checks and repairs geometries.',
        share=8,
        run_seconds=60,
        input_file='roads_{n:04d}.zip',
        output_file='roads_{n:04d}_valid.zip',
        event_type='INGEST',
    ),
    DemoJobType(
        'osm-extract',
        '2.0',
        'OSM Extract',
        'vector',
        'f279',
        'Extracts roads and buildings from OpenStreetMap.',
        share=6,
        run_seconds=900,
        input_file='region_{n:03d}.osm.pbf',
        output_file='region_{n:03d}.gpkg',
        event_type='USER',
        revisions=2,
        mem=3072.0,
        timeout=2700,
    ),
    DemoJobType(
        'sentinel2-cloudmask',
        '1.0',
        'Sentinel-2 Cloud Mask',
        'imagery',
        'f0c2',
        'Masks clouds in a granule.',
        share=10,
        run_seconds=420,
        input_file='S2A_MSIL1C_{n:06d}.SAFE.zip',
        output_file='S2A_{n:06d}_CLD.tif',
        event_type='PARSE',
        cpus=2.0,
        mem=8192.0,
        timeout=3600,
    ),
)

TRIGGER_RULES = {
    'landsat-parse': ('PARSE', {'media_type': 'image/tiff', 'data_types': ['landsat']}),
    'raw-ingest': ('INGEST', {'data_types': ['nitf', 'vector']}),
}
EVENT_RULES = {'STRIKE_TRANSFER': None, 'CLEANUP': None, 'USER': None, 'PARSE': 'landsat-parse', 'INGEST': 'raw-ingest'}
EVENTS_PER_TYPE = 80

ERRORS = (  # name, title, category, description; named as Scale's built-in errors
    ('unknown', 'Unknown', 'SYSTEM', 'The cause of this failure is unknown.'),
    ('database', 'Database', 'SYSTEM', 'The database could not be reached while the job ran.'),
    ('timeout', 'Timeout', 'SYSTEM', 'The execution ran longer than its job type allows.'),
    ('node-lost', 'Node Lost', 'SYSTEM', 'The node running the execution stopped responding.'),
    ('algorithm-unknown', 'Algorithm Unknown', 'ALGORITHM', 'The algorithm failed with an unmapped exit code.'),
    ('bad-input', 'Bad Input', 'DATA', 'The input file could not be read or is not of the expected type.'),
)
RETRIED_ERRORS = tuple(name for name, _, category, _ in ERRORS if category == 'SYSTEM')


class Failure(NamedTuple):
    """How an error shows in an execution: the task that fails, its exit code, how often, what it prints."""

    task: str
    exit_code: int | None
    share: int
    stderr: tuple


FAILURES = {
    'algorithm-unknown': Failure(
        'job',
        1,
        34,
        (
            'Traceback (most recent call last):',
            '  File "/app/run.py", line 88, in <module>',
            '    main(sys.argv[1], sys.argv[2])',
            'ValueError: array must not contain infs or NaNs',
        ),
    ),
    'bad-input': Failure(
        'job', 2, 24, ("ERROR 4: '/scale/input_data/{input_file}' not recognized as a supported file format.",)
    ),
    'timeout': Failure('job', None, 16, ('Task killed: the execution exceeded its timeout of {timeout} s',)),
    'unknown': Failure('job', 139, 10, ('Segmentation fault (core dumped)',)),
    'database': Failure(
        'pre',
        1,
        9,
        (
            'django.db.utils.OperationalError: could not connect to server: Connection refused',
            '\tIs the server running on host "db.demo.invalid" and accepting TCP/IP connections on port 5432?',
        ),
    ),
    'node-lost': Failure('job', None, 7, ('Task lost: agent {hostname} stopped responding',)),
}
FAILURE_SHARES = {name: failure.share for name, failure in FAILURES.items()}
# Share of jobs by the status of their last execution.
FINAL_STATUSES = {Status.COMPLETED: 70, Status.FAILED: 14, Status.CANCELED: 6, Status.QUEUED: 6, Status.RUNNING: 4}
RETRIES = {1: 88, 2: 8, 3: 4}  # share of completed jobs by number of executions

PRE_STDOUT = (
    'INFO Scale pre-task for {job_type} starting',
    'INFO Created /scale/input_data and /scale/output_data',
    'INFO Downloading {input_file} ({input_mib} MiB) from workspace raw',
    'INFO Inputs ready in {seconds} s',
)
POST_STDOUT = (
    'INFO Scale post-task for {job_type} starting',
    'INFO Uploading {output_file} to workspace products',
    'INFO Registered product file {output_file_id}',
    'INFO Post-task finished',
)
JOB_STDOUT = {  # by job type name, else by category
    'scale-clean': (
        'INFO Cleaning up after {input_file}',
        'INFO Removed {count} files from the work directory',
        'INFO Freed {input_mib} MiB',
        'INFO Removed stopped containers',
        'INFO Done',
    ),
    'system': (
        'INFO Reading {input_file}',
        'INFO Checksum verified',
        'INFO Moved {input_mib} MiB to products',
        'INFO Recorded file {output_file_id}',
        'INFO Done',
    ),
    'ingest': (
        'INFO Parsing {input_file}',
        'INFO Found {count} TREs',
        'INFO Image footprint computed',
        'INFO Wrote {output_file}',
        'INFO Done',
    ),
    'raster': (
        'INFO Opening {input_file} with GDAL 2.1.0',
        'INFO Raster is {count} x {count} pixels',
        'INFO Processing band 1 of 1',
        'INFO {percent}% of pixels are nodata',
        'INFO Wrote {output_file}',
    ),
    'vector': (
        'INFO Reading {input_file}',
        'INFO Read {count} features',
        'INFO Repaired {percent} geometries',
        'INFO Reprojected to EPSG:4326',
        'INFO Wrote {output_file}',
    ),
    'imagery': (
        'INFO Reading granule {input_file}',
        'INFO Resampled bands to 20 m',
        'INFO Cloud cover {percent}%',
        'INFO Wrote {output_file}',
        'INFO Done',
    ),
}
# Docker prints this on every container start on hosts without swap accounting.
DOCKER_WARNING = (
    'WARNING: Your kernel does not support swap limit capabilities or the cgroup is not mounted. '
    'Memory limited without swap.'
)
JOB_WARNINGS = (
    'Warning 1: TIFFReadDirectory: Unknown field with tag 42112 (0xa480) encountered',
    'UserWarning: invalid value encountered in true_divide',
    'Warning: {percent} features skipped',
)
KILLED_STDERR = ('Task killed: the execution was canceled',)


@contextmanager
def explicit_timestamps(*models):
    """Keep the `created`/`last_modified` values given to new rows instead of stamping them with now."""
    # bulk_create stamps auto_now/auto_now_add fields with now (pre_save), and the demo needs its past times.
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, 'auto_now', False) or getattr(f, 'auto_now_add', False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def insert_rows(model, rows):
    """INSERT `rows`, dicts of column values by attname (an absent column takes its field's default).

    bulk_create runs each of the ~50 values of a row through the field API, which made 100,000 executions take
    45-70 s; these values are already what the columns hold, so only datetimes and JSON go through the backend's
    adapters. Multi-row statements of plain SQL, so SQLite and PostgreSQL both take them.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in rows[0]]
    columns = [(f.attname, f.get_default(), value_adapter(f)) for f in fields]
    quote = connection.ops.quote_name
    row_sql = f'({", ".join(["%s"] * len(fields))})'
    prefix = f'INSERT INTO {quote(model._meta.db_table)} ({", ".join(quote(f.column) for f in fields)}) VALUES '
    per_statement = min(BATCH_SIZE, connection.ops.bulk_batch_size(fields, rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [
                adapt(row.get(name, default)) if adapt else row.get(name, default)
                for row in chunk
                for name, default, adapt in columns
            ]
            cursor.execute(prefix + ', '.join([row_sql] * len(chunk)), params)


def value_adapter(field):
    if isinstance(field, DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, JSONField):
        return lambda value: None if value is None else connection.ops.adapt_json_value(value, field.encoder)
    return None


def reset_id_sequences(*models):
    """Move the models' id sequences past ids that were given explicitly, as loaddata does."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


class Command(BaseCommand):
    help = 'Fill an empty database with demo job types, nodes, errors, jobs and executions.'

    def add_arguments(self, parser):
        parser.add_argument('--executions', type=int, default=2000, help='how many executions (default 2000)')
        parser.add_argument('--seed', type=int, default=1, help='seed of the random generator (default 1)')

    def handle(self, *args, executions, seed, verbosity, **options):
        if executions < 0:
            raise CommandError('--executions must be 0 or more')
        reason_to_skip = existing_data()
        if reason_to_skip:
            self.stdout.write(reason_to_skip)
            return
        progress = tqdm(total=executions, unit='exe', file=sys.stderr, disable=verbosity == 0)
        with progress, transaction.atomic():
            demo = DemoData(random.Random(seed), timezone.now())
            with explicit_timestamps(Error, Node, TriggerRule, JobType, JobTypeRevision):
                demo.create_reference_rows()
            jobs = demo.create_jobs(executions, progress.update)
        self.stdout.write(self.style.SUCCESS(f'Created {jobs} jobs with {executions} executions.'))


def existing_data():
    """Why the database is not empty, or None if it is."""
    executions = JobExecution.objects.count()
    if executions:
        return f'Database already has {executions} executions; leaving it alone.'
    if any(model.objects.exists() for model in (Job, JobType, Node, Error, TriggerRule)):
        return 'Database already has jobs, job types, nodes or errors (no executions); leaving it alone.'
    return None


class DemoData:
    """The demo rows, drawn from one seeded generator and placed in time relative to `now`."""

    def __init__(self, rng, now):
        self.rng, self.now = rng, now
        self.file_ids = itertools.count(1)
        self.task_numbers = itertools.count(1)

    def days_ago(self, days):
        return self.now - timedelta(days=days)

    # Reference rows: few, inserted with bulk_create, which gives back their ids.

    def create_reference_rows(self):
        self.errors = {e.name: e for e in Error.objects.bulk_create(self.error_rows())}
        self.create_nodes()
        rules = {r.name: r for r in TriggerRule.objects.bulk_create(self.rule_rows())}
        self.create_events(rules)
        self.create_job_types(rules)

    def error_rows(self):
        created = self.days_ago(400)
        return [
            Error(
                name=name,
                title=title,
                category=category,
                description=description,
                created=created,
                last_modified=created,
            )
            for name, title, category, description in ERRORS
        ]

    def create_nodes(self):
        nodes = [self.node_row(number) for number in range(1, 7)]
        paused, retired = nodes[3], nodes[5]
        paused.is_paused, paused.last_modified = True, self.days_ago(2)
        paused.pause_reason = 'Disk /dev/sdb reports SMART errors; awaiting replacement'
        retired.is_active = False
        retired.archived = retired.last_offer = retired.last_modified = self.days_ago(9)
        self.nodes = Node.objects.bulk_create(nodes)
        # Nodes take no new work once paused or archived.
        self.node_open_until = [self.now if n.is_active and not n.is_paused else n.last_modified for n in nodes]

    def node_row(self, number):
        created = self.days_ago(90 - number)
        return Node(
            hostname=f'agent-{number:02d}.demo.invalid',
            port=5051,
            slave_id=f'{SLAVE_ID_PREFIX}{number - 1}',
            created=created,
            last_offer=self.now - timedelta(seconds=number),
            last_modified=created,
        )

    def rule_rows(self):
        created = self.days_ago(120)
        data = {'input_data_name': 'input_file', 'workspace_name': 'products'}
        return [
            TriggerRule(
                type=rule_type,
                name=name,
                created=created,
                last_modified=created,
                configuration={'version': '1.0', 'condition': condition, 'data': data},
            )
            for name, (rule_type, condition) in TRIGGER_RULES.items()
        ]

    def create_events(self, rules):
        """Events of every type at regular times over the window; a job points at the last one before it."""
        step = timedelta(days=WINDOW_DAYS + 2) / EVENTS_PER_TYPE
        start = self.days_ago(WINDOW_DAYS + 2)
        rows = [
            TriggerEvent(
                type=event_type,
                rule=rules.get(rule_name),
                occurred=start + step * number,
                description=event_description(event_type, number + 1),
            )
            for event_type, rule_name in EVENT_RULES.items()
            for number in range(EVENTS_PER_TYPE)
        ]
        self.events = {event_type: [] for event_type in EVENT_RULES}
        for event in TriggerEvent.objects.bulk_create(rows, batch_size=BATCH_SIZE):
            self.events[event.type].append(event)
        self.event_times = {event_type: [e.occurred for e in events] for event_type, events in self.events.items()}

    def create_job_types(self, rules):
        rows = [self.job_type_row(spec, rules) for spec in JOB_TYPES]
        self.job_types = dict(zip(JOB_TYPES, JobType.objects.bulk_create(rows)))
        revisions = [
            self.revision_row(spec, job_type, number)
            for spec, job_type in self.job_types.items()
            for number in range(1, spec.revisions + 1)
        ]
        JobTypeRevision.objects.bulk_create(revisions)
        # Jobs run the latest revision of their type.
        self.revisions = {r.job_type_id: r for r in revisions}

    def job_type_row(self, spec, rules):
        created = self.days_ago(spec.active_days[0] + 3)
        retired = spec.active_days[1] > 0
        archived = self.days_ago(spec.active_days[1]) if retired else None
        return JobType(
            name=spec.name,
            version=spec.version,
            title=spec.title,
            description=spec.description,
            category=spec.category,
            author_name='Demo Team',
            author_url='https://demo.invalid/algorithms',
            is_system=spec.is_system,
            is_active=not retired,
            uses_docker=not spec.is_system,
            requires_cleanup=not spec.is_system,
            docker_image=None if spec.is_system else f'registry.demo.invalid/{spec.name}:{spec.version}',
            interface=interface(spec),
            revision_num=spec.revisions,
            trigger_rule=rules.get(EVENT_RULES[spec.event_type]),
            priority=spec.priority,
            timeout=spec.timeout,
            cpus_required=spec.cpus,
            mem_required=spec.mem,
            icon_code=spec.icon_code,
            created=created,
            archived=archived,
            last_modified=archived or created + timedelta(days=spec.revisions - 1),
        )

    def revision_row(self, spec, job_type, number):
        return JobTypeRevision(
            job_type=job_type,
            revision_num=number,
            interface=interface(spec),
            created=job_type.created + timedelta(days=number - 1),
        )

    # Jobs and executions: many, generated as rows of column values and inserted round by round.

    def create_jobs(self, total_executions, on_progress):
        """Insert jobs whose executions add up to `total_executions`; return how many jobs."""
        first_statuses = list(FINAL_STATUSES)  # small demos still show every status
        remaining, job_ids = total_executions, itertools.count(1)  # the job table is empty
        job_count = 0
        while remaining:
            jobs, executions = [], []
            while remaining and len(executions) < ROUND_SIZE:
                status = first_statuses.pop() if first_statuses else None
                job, job_executions = self.job_with_executions(next(job_ids), status, remaining)
                jobs.append(job)
                executions.extend(job_executions)
                remaining -= len(job_executions)
            insert_rows(Job, jobs)
            insert_rows(JobExecution, executions)
            job_count += len(jobs)
            on_progress(len(executions))
        reset_id_sequences(Job)
        return job_count

    def job_with_executions(self, job_id, final_status, at_most):
        """A job and its executions; a retried job's earlier executions failed on a system error."""
        rng = self.rng
        final_status = final_status or weighted_choice(rng, FINAL_STATUSES)
        count = min(at_most, weighted_choice(rng, RETRIES)) if final_status == Status.COMPLETED else 1
        statuses = [Status.FAILED] * (count - 1) + [final_status]
        errors = [rng.choice(RETRIED_ERRORS) for _ in range(count - 1)]
        errors.append(weighted_choice(rng, FAILURE_SHARES) if final_status == Status.FAILED else None)
        spec = self.job_type_for(final_status)
        values = self.file_values(spec)
        plans = self.execution_plans(spec, statuses, errors)
        anchor = self.last_change(spec, final_status) - timedelta(seconds=plans[-1]['times']['last_modified'])
        job = self.job_row(job_id, spec, plans[-1], anchor, values)
        job['num_exes'] = count
        return job, [self.execution_row(spec, job_id, plan, anchor, values) for plan in plans]

    def job_type_for(self, final_status):
        live = final_status in (Status.QUEUED, Status.RUNNING)
        specs = [spec for spec in JOB_TYPES if not live or spec.active_days[1] == 0]
        return self.rng.choices(specs, weights=[spec.share for spec in specs])[0]

    def last_change(self, spec, final_status):
        """When the job's last execution last changed: recently if it is still live, else within its type's days."""
        if final_status == Status.QUEUED:
            return self.now - timedelta(seconds=self.rng.uniform(5, 3600))
        if final_status == Status.RUNNING:
            return self.now - timedelta(seconds=self.rng.uniform(5, spec.run_seconds))
        newest, oldest = spec.active_days[1], spec.active_days[0]
        return self.days_ago(self.rng.uniform(max(newest, 0.01), oldest))

    def file_values(self, spec):
        """What a job's command line, results and logs mention: its files and a few numbers."""
        rng, n = self.rng, self.rng.randrange(1, 100000)
        return {
            'job_type': f'{spec.name} {spec.version}',
            'input_file': spec.input_file.format(n=n),
            'output_file': spec.output_file.format(n=n),
            'input_file_id': next(self.file_ids),
            'output_file_id': next(self.file_ids),
            'input_mib': rng.randint(1, 900),
            'count': rng.randint(500, 20000),
            'percent': rng.randint(0, 60),
            'seconds': rng.randint(1, 40),
            'timeout': spec.timeout,
        }

    def execution_plans(self, spec, statuses, errors):
        """Each execution's status, error, tasks and event times, in seconds after the job was created."""
        plans, queued = [], self.rng.uniform(0.5, 5)
        for status, error in zip(statuses, errors):
            tasks = self.tasks(status, error)
            plans.append(
                {
                    'status': status,
                    'error': error,
                    'tasks': tasks,
                    'times': self.execution_times(spec, status, tasks, queued),
                }
            )
            queued = plans[-1]['times']['last_modified'] + self.rng.uniform(5, 120)
        return plans

    def tasks(self, status, error):
        """The (task, state) pairs an execution went through; a state is ok, running, canceled or an error."""
        if status == Status.COMPLETED:
            return [('pre', 'ok'), ('job', 'ok'), ('post', 'ok')]
        if status == Status.RUNNING:
            return [('pre', 'running')] if self.rng.random() < 0.2 else [('pre', 'ok'), ('job', 'running')]
        if status == Status.CANCELED:
            return [('pre', 'ok'), ('job', 'canceled')]
        if status == Status.FAILED:
            return [('pre', error)] if FAILURES[error].task == 'pre' else [('pre', 'ok'), ('job', error)]
        return []

    def execution_times(self, spec, status, tasks, queued):
        rng = self.rng
        times = {'created': queued, 'queued': queued}
        moment = queued
        if tasks:
            moment = times['started'] = queued + rng.uniform(2, 300)
        for task, state in tasks:
            moment = times[f'{task}_started'] = moment + rng.uniform(0.5, 3)
            if state != 'running':
                moment = times[f'{task}_completed'] = moment + self.task_seconds(spec, task, state)
        if status in JobExecution.FINAL_STATUSES:
            moment = times['ended'] = moment + rng.uniform(0.2, 2)
        times['last_modified'] = moment + rng.uniform(0, 1)
        return times

    def task_seconds(self, spec, task, state):
        if state == 'timeout':
            return spec.timeout
        typical = {'pre': 15, 'job': spec.run_seconds, 'post': 10}[task]
        share = 1.0 if state == 'ok' else self.rng.uniform(0.05, 0.9)
        return typical * share * self.rng.uniform(0.6, 1.5)

    def job_row(self, job_id, spec, last_plan, anchor, values):
        """The job as its last execution left it."""
        times = {name: anchor + timedelta(seconds=seconds) for name, seconds in last_plan['times'].items()}
        status, error = str(last_plan['status']), last_plan['error']
        job_type = self.job_types[spec]
        event_index = bisect.bisect_right(self.event_times[spec.event_type], anchor) - 1
        return {
            'id': job_id,
            'job_type_id': job_type.pk,
            'job_type_rev_id': self.revisions[job_type.pk].pk,
            'status': status,
            'event_id': self.events[spec.event_type][max(event_index, 0)].pk,
            'error_id': self.errors[error].pk if error else None,
            'data': job_data(values),
            'results': output_results(values) if status == Status.COMPLETED else {},
            'priority': spec.priority,
            'timeout': spec.timeout,
            'max_tries': 3,
            'cpus_required': spec.cpus,
            'mem_required': spec.mem,
            'disk_in_required': float(values['input_mib']),
            'disk_out_required': disk_out(values),
            'created': anchor,
            'queued': times['queued'],
            'started': times.get('started'),
            'ended': times.get('ended'),
            'last_modified': times['last_modified'],
            'last_status_change': times.get('ended') or times.get('started') or times['queued'],
        }

    def execution_row(self, spec, job_id, plan, anchor, values):
        status, error = str(plan['status']), plan['error']
        execution = {name: anchor + timedelta(seconds=seconds) for name, seconds in plan['times'].items()}
        execution.update(
            job_id=job_id,
            status=status,
            error_id=self.errors[error].pk if error else None,
            timeout=spec.timeout,
            command_arguments=spec.arguments.format(**values),
            environment=environment(spec),
        )
        if plan['tasks']:
            self.schedule(execution, spec, values, plan['tasks'])
        if status == Status.COMPLETED:
            execution.update(results=output_results(values), results_manifest=output_manifest(values))
        return execution

    def schedule(self, execution, spec, values, tasks):
        """Fill what an execution gets once it is put on a node: resources, tasks, logs or live log URLs."""
        node = self.node_for(execution['started'])
        disk_in = float(values['input_mib'])
        execution.update(
            node_id=node.pk,
            cpus_scheduled=spec.cpus,
            mem_scheduled=spec.mem,
            disk_in_scheduled=disk_in,
            disk_out_scheduled=disk_out(values),
            disk_total_scheduled=disk_in + disk_out(values),
        )
        number, stdout, stderr = next(self.task_numbers), [], []
        values = {**values, 'hostname': node.hostname}
        for task, state in tasks:
            task_id = execution[f'{task}_task_id'] = f'scale_{number}_{task}'
            if state == 'running':
                execution['current_stdout_url'] = sandbox_url(node, task_id, 'stdout')
                execution['current_stderr_url'] = sandbox_url(node, task_id, 'stderr')
                continue
            execution[f'{task}_exit_code'] = exit_code(state)
            self.append_task_logs(stdout, stderr, spec, task, state, execution[f'{task}_started'], values)
        execution['stdout'] = ''.join(stdout) or None
        execution['stderr'] = ''.join(stderr) or None

    def node_for(self, started):
        open_nodes = [node for node, until in zip(self.nodes, self.node_open_until) if until > started]
        return self.rng.choice(open_nodes)

    def append_task_logs(self, stdout, stderr, spec, task, state, started, values):
        """Append the logs a finished task leaves in the row; a failed or killed task stops part way."""
        rng = self.rng
        job_lines = JOB_STDOUT.get(spec.name) or JOB_STDOUT[spec.category]
        lines = {'pre': PRE_STDOUT, 'job': job_lines, 'post': POST_STDOUT}[task]
        if state == 'ok':
            kept = sorted(rng.sample(range(len(lines)), rng.randint(len(lines) - 2, len(lines))))
            lines = [lines[i] for i in kept]
        else:
            lines = lines[: rng.randint(1, len(lines) - 1)]
        errors = [DOCKER_WARNING]
        if task == 'job' and rng.random() < 0.3:
            errors.append(rng.choice(JOB_WARNINGS))
        errors.extend(KILLED_STDERR if state == 'canceled' else FAILURES[state].stderr if state in FAILURES else ())
        stamp = f'{started:%Y-%m-%d %H:%M:%S}'
        stdout.extend(f'{stamp} {line.format(**values)}\n' for line in lines)
        stderr.extend(f'{line.format(**values)}\n' for line in errors)


def weighted_choice(rng, shares):
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def exit_code(state):
    if state == 'ok':
        return 0
    return FAILURES[state].exit_code if state in FAILURES else None


def sandbox_url(node, task_id, log):
    return SANDBOX_URL.format(
        hostname=node.hostname,
        port=node.port,
        slave_id=node.slave_id,
        framework_id=FRAMEWORK_ID,
        task_id=task_id,
        log=log,
    )


def disk_out(values):
    return 64.0 + values['input_mib'] * 0.5


def event_description(event_type, number):
    details = {
        'STRIKE_TRANSFER': {'strike_id': 1, 'file_name': f'transfer_{number:04d}.tar.gz'},
        'CLEANUP': {'node_count': 6},
        'USER': {'user': 'analyst', 'reason': 'submitted from the UI'},
        'PARSE': {'parse_id': number, 'file_name': f'LC8{number:06d}LGN00_MTL.txt'},
        'INGEST': {'ingest_id': number, 'file_name': f'roads_{number:04d}.zip'},
    }[event_type]
    return {'version': '1.0', **details}


def interface(spec):
    return {
        'version': '1.0',
        'command': f'/app/{spec.name}.sh',
        'command_arguments': spec.arguments,
        'input_data': [{'name': 'input_file', 'type': 'file', 'required': True}],
        'output_data': [{'name': 'output_file', 'type': 'file', 'required': True}],
    }


def environment(spec):
    return {
        'version': '1.0',
        'env_vars': {'SCALE_JOB_TYPE': spec.name, 'SCALE_JOB_VERSION': spec.version},
        'workspaces': [{'name': 'raw', 'mode': 'ro'}, {'name': 'products', 'mode': 'rw'}],
    }


def job_data(values):
    return {
        'version': '1.0',
        'input_data': [{'name': 'input_file', 'file_id': values['input_file_id']}],
        'output_data': [{'name': 'output_file', 'workspace_id': 2}],
    }


def output_results(values):
    return {'version': '1.0', 'output_data': [{'name': 'output_file', 'file_id': values['output_file_id']}]}


def output_manifest(values):
    output = {'name': 'output_file', 'file': {'path': f'/scale/output_data/{values["output_file"]}'}}
    return {'version': '1.1', 'output_data': [output], 'parse_results': [], 'errors': []}
