"""Rows for tests, with every field the API shows set to a distinct value."""

import datetime
import itertools

from error.models import Error
from job.models import Job, JobExecution, JobType, JobTypeRevision, TriggerEvent, TriggerRule
from node.models import Node

_numbers = itertools.count(1)
BASE_TIME = datetime.datetime(2015, 8, 28, 17, 57, 41, 33000, tzinfo=datetime.timezone.utc)


def at(seconds):
    return BASE_TIME + datetime.timedelta(seconds=seconds)


def make_error(**fields):
    n = next(_numbers)
    values = dict(name=f'error-{n}', title=f'Error {n}', description=f'Something failed ({n})', category='ALGORITHM')
    return Error.objects.create(**{**values, **fields})


def make_node(**fields):
    n = next(_numbers)
    values = dict(hostname=f'host{n}.example.com', port=5051, slave_id=f'20150821-123454-1683014024-5050-8216-S{n}')
    return Node.objects.create(**{**values, **fields})


def make_job_type(**fields):
    n = next(_numbers)
    values = dict(
        name=f'type-{n}',
        version='1.0',
        title=f'Type {n}',
        description=f'Does thing {n}',
        category='raster',
        author_name='Someone',
        author_url='http://example.com/author',
        icon_code='f013',
        interface={'version': '1.0', 'command': 'run'},
        error_mapping={},
    )
    return JobType.objects.create(**{**values, **fields})


def make_job(job_type=None, error=None, **fields):
    job_type = job_type or make_job_type()
    revision = JobTypeRevision.objects.create(job_type=job_type, revision_num=next(_numbers), interface={})
    rule = TriggerRule.objects.create(type='PARSE', name='a-rule', configuration={})
    event = TriggerEvent.objects.create(type='STRIKE_TRANSFER', rule=rule, description={}, occurred=at(-60))
    values = dict(
        job_type=job_type,
        job_type_rev=revision,
        event=event,
        error=error,
        status='COMPLETED',
        priority=10,
        timeout=1800,
        max_tries=3,
        num_exes=1,
        cpus_required=1.0,
        mem_required=64.0,
        disk_in_required=2.0,
        disk_out_required=3.0,
        queued=at(0),
        started=at(3),
        ended=at(5),
        last_status_change=at(5),
    )
    return Job.objects.create(**{**values, **fields})


def make_execution(job=None, node=None, error=None, last_modified=None, **fields):
    values = dict(
        job=job or make_job(),
        node=node,
        error=error,
        status='COMPLETED',
        command_arguments='--in a.tif',
        timeout=1800,
        environment={'version': '1.0'},
        cpus_scheduled=0.5,
        mem_scheduled=15360.0,
        disk_in_scheduled=1.0,
        disk_out_scheduled=0.0,
        disk_total_scheduled=1.0,
        pre_started=at(1),
        pre_completed=at(2),
        pre_exit_code=0,
        job_started=at(3),
        job_completed=at(4),
        job_exit_code=0,
        post_started=at(4.5),
        post_completed=at(4.8),
        post_exit_code=0,
        results={'version': '1.0', 'output_data': [{'name': 'output_file', 'file_id': 3}]},
        results_manifest={'version': '1.1', 'output_data': [], 'errors': [], 'parse_results': []},
        stdout='Execution completed.',
        stderr='',
        queued=at(0),
        started=at(3),
        ended=at(5),
    )
    execution = JobExecution.objects.create(**{**values, **fields})
    if last_modified is not None:
        # last_modified is stamped on every save; set the value a test needs without a save.
        JobExecution.objects.filter(pk=execution.pk).update(last_modified=last_modified)
        execution.refresh_from_db()
    return execution


def make_full_execution(**fields):
    """An execution with every relation set, so a serializer that touched an unloaded row would query."""
    job = make_job(error=make_error())
    return make_execution(job=job, node=make_node(), error=make_error(), status='FAILED', **fields)


def nulls(model, keep=()):
    """Every nullable column of `model` (foreign keys included) set to NULL, but those named in `keep`."""
    return {field.attname: None for field in model._meta.concrete_fields if field.null and field.name not in keep}


def make_sparse_execution(with_node_and_error=False, **fields):
    """An execution with NULL wherever Scale's schema allows one, in the execution and every row it shows.

    With `with_node_and_error`, its node and error exist (their own nullable columns NULL) instead of being NULL.
    """
    job_type = make_job_type(**nulls(JobType))
    revision = JobTypeRevision.objects.create(job_type=job_type, revision_num=next(_numbers), interface={})
    event = TriggerEvent.objects.create(type='USER', description={}, occurred=at(-60), **nulls(TriggerEvent))
    job = Job.objects.create(
        job_type=job_type, job_type_rev=revision, event=event, priority=10, timeout=1800, max_tries=3, **nulls(Job)
    )
    related = {}
    if with_node_and_error:
        related = {'node': make_node(**nulls(Node)), 'error': make_error(**nulls(Error))}
    values = {
        **nulls(JobExecution, keep=related),
        'status': 'QUEUED',
        'command_arguments': '',
        'timeout': 1800,
        'queued': at(0),
        **related,
    }
    return JobExecution.objects.create(job=job, **{**values, **fields})
