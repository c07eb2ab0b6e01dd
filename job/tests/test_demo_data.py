"""The demo_data command: a consistent demo set in every status, spread in time, loaded only into an empty database."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from job.models import Job, JobExecution, JobType
from job.tests.factories import make_execution
from node.models import Node

pytestmark = pytest.mark.django_db

Status = JobExecution.Status


@pytest.fixture
def executions():
    call_command('demo_data', executions=300, seed=1, verbosity=0)
    return list(JobExecution.objects.select_related('node', 'error'))


def with_status(executions, *statuses):
    return [execution for execution in executions if execution.status in statuses]


def test_creates_the_number_asked_for_in_every_status(executions):
    assert len(executions) == 300
    assert {execution.status for execution in executions} == set(Status.values)
    assert Job.objects.filter(num_exes__gt=1).exists()


def test_queued_executions_have_no_node_and_did_not_start(executions):
    queued = with_status(executions, Status.QUEUED)
    assert queued
    assert all(execution.node is None and execution.started is None for execution in queued)


def test_failed_executions_have_an_error(executions):
    failed = with_status(executions, Status.FAILED)
    assert failed
    assert all(execution.error is not None for execution in failed)
    assert all(execution.error is None for execution in with_status(executions, Status.COMPLETED))


def test_running_executions_point_their_log_urls_at_their_node(executions):
    running = with_status(executions, Status.RUNNING)
    assert running
    for execution in running:
        for url in (execution.current_stdout_url, execution.current_stderr_url):
            parts = urlsplit(url)
            assert (parts.hostname, parts.port) == (execution.node.hostname, execution.node.port)
            assert parts.path == '/files/download.json'
        assert execution.current_stdout_url.endswith('/stdout')
        assert execution.current_stderr_url.endswith('/stderr')


def test_finished_executions_hold_their_logs_and_no_urls(executions):
    finished = with_status(executions, *JobExecution.FINAL_STATUSES)
    assert finished
    for execution in finished:
        assert execution.stdout and execution.stderr
        assert execution.current_stdout_url is None and execution.current_stderr_url is None


def test_timestamps_are_ordered_and_spread_over_weeks(executions):
    for execution in executions:
        moments = [execution.created, execution.queued, execution.started, execution.ended, execution.last_modified]
        present = [moment for moment in moments if moment is not None]
        assert present == sorted(present)
    last_modified = [execution.last_modified for execution in executions]
    assert max(last_modified) - min(last_modified) > datetime.timedelta(days=7)


def test_reference_rows_keep_their_past_times_and_the_models_their_auto_times(executions):
    a_day_ago = timezone.now() - datetime.timedelta(days=1)
    assert not JobType.objects.filter(created__gt=a_day_ago).exists()
    assert not Node.objects.filter(created__gt=a_day_ago).exists()
    assert JobType._meta.get_field('created').auto_now_add and JobType._meta.get_field('last_modified').auto_now


def test_rows_added_after_the_demo_get_fresh_ids(executions):
    execution = make_execution()
    assert execution.job_id > Job.objects.exclude(pk=execution.job_id).aggregate(Max('id'))['id__max']


class RollBack(Exception):
    """Raised to undo a demo set inside the test."""


def demo_summary(seed):
    """What a demo set is made of, leaving out its times (they follow the clock); the set is then undone."""
    with pytest.raises(RollBack), transaction.atomic():
        call_command('demo_data', executions=100, seed=seed, verbosity=0)
        rows = JobExecution.objects.order_by('id').values_list(
            'status', 'command_arguments', 'node__hostname', 'error__name', 'job__job_type__name', 'job_exit_code'
        )
        summary = list(rows)
        raise RollBack
    return summary


def test_the_same_seed_gives_the_same_set():
    assert demo_summary(seed=7) == demo_summary(seed=7)
    assert demo_summary(seed=7) != demo_summary(seed=8)


def test_a_second_call_leaves_the_database_alone(executions, capsys):
    call_command('demo_data', executions=50, seed=2)
    assert JobExecution.objects.count() == 300
    assert 'already has 300 executions' in capsys.readouterr().out
