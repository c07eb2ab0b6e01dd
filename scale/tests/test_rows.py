"""The compiled row serializer gives exactly what the DRF serializer gives, for full rows and rows with nulls."""

import pytest
from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers

from job.models import JobExecution
from job.serializers import JobExecutionBaseSerializer, JobExecutionSerializer
from job.tests.factories import at, make_error, make_execution, make_full_execution, make_job
from scale.rows import NotCompilable, RowSerializer, version_paths

pytestmark = pytest.mark.django_db

ROWS = RowSerializer(JobExecutionBaseSerializer)
DETAIL_ROWS = RowSerializer(JobExecutionSerializer)


def drf_and_compiled(execution):
    loaded = JobExecution.objects.select_related('job__job_type', 'node', 'error').get(pk=execution.pk)
    row = JobExecution.objects.filter(pk=execution.pk).values_list(*ROWS.paths).get()
    return JobExecutionBaseSerializer(loaded).data, ROWS.to_dict(row)


def test_every_relation_set_gives_the_serializer_output():
    expected, compiled = drf_and_compiled(make_full_execution(last_modified=at(4.9876)))
    assert compiled == expected
    assert compiled['job']['error'] is not None and compiled['node'] is not None and compiled['error'] is not None


def test_nulls_give_the_serializer_output():
    execution = make_execution(
        job=make_job(error=None),
        node=None,
        error=None,
        status='QUEUED',
        pre_started=None,
        pre_exit_code=None,
        job_started=None,
        job_completed=None,
        job_exit_code=None,
        started=None,
        ended=None,
    )
    expected, compiled = drf_and_compiled(execution)
    assert compiled == expected
    assert compiled['node'] is None and compiled['error'] is None and compiled['pre_started'] is None


def test_null_descriptions_inside_a_present_relation_stay_null():
    error = make_error(title=None, description=None)
    expected, compiled = drf_and_compiled(make_execution(error=error))
    assert compiled == expected and compiled['error']['title'] is None


def test_key_order_follows_the_serializer():
    expected, compiled = drf_and_compiled(make_full_execution())
    assert list(compiled) == list(expected)
    assert list(compiled['job']) == list(expected['job'])


def test_fields_not_read_from_a_column_are_refused():
    class Computed(serializers.Serializer):
        everything = serializers.SerializerMethodField()

    with pytest.raises(NotCompilable):
        RowSerializer(Computed)


def drf_and_compiled_details(execution):
    loaded = JobExecution.objects.select_related(
        'job__job_type', 'job__job_type_rev', 'job__event', 'job__error', 'node', 'error'
    ).get(pk=execution.pk)
    row = JobExecution.objects.filter(pk=execution.pk).values_list(*DETAIL_ROWS.paths).get()
    return JobExecutionSerializer(loaded).data, DETAIL_ROWS.to_dict(row)


def test_details_with_every_relation_set_give_the_serializer_output():
    expected, compiled = drf_and_compiled_details(make_full_execution(current_stdout_url='http://host/out'))
    assert compiled == expected
    assert compiled['job']['event']['rule'] is not None and compiled['results']['output_data']


def test_details_with_nulls_give_the_serializer_output():
    execution = make_execution(node=None, error=None, job=make_job(error=None), environment={}, cpus_scheduled=None)
    execution.job.event.rule = None
    execution.job.event.save()
    expected, compiled = drf_and_compiled_details(execution)
    assert compiled == expected and compiled['job']['event']['rule'] is None and compiled['node'] is None


def test_extra_paths_are_selected_after_the_shape():
    rows = RowSerializer(JobExecutionBaseSerializer, extra_paths=['job__last_modified'])
    assert rows.paths[: len(ROWS.paths)] == ROWS.paths and rows.position('job__last_modified') == len(ROWS.paths)


def test_the_fingerprint_follows_the_shape():
    class WithOneMore(JobExecutionBaseSerializer):
        class Meta(JobExecutionBaseSerializer.Meta):
            fields = JobExecutionBaseSerializer.Meta.fields + ['cpus_scheduled']

    assert RowSerializer(JobExecutionBaseSerializer).fingerprint == ROWS.fingerprint
    assert RowSerializer(WithOneMore).fingerprint != ROWS.fingerprint
    assert DETAIL_ROWS.fingerprint != ROWS.fingerprint


def test_a_path_the_models_do_not_have_is_refused_when_built():
    class Misspelt(JobExecutionBaseSerializer):
        colour = serializers.CharField(source='job.colour')

        class Meta(JobExecutionBaseSerializer.Meta):
            fields = JobExecutionBaseSerializer.Meta.fields + ['colour']

    with pytest.raises(FieldDoesNotExist):
        RowSerializer(Misspelt)


def test_a_serializer_with_its_own_to_representation_is_refused():
    class Decorated(JobExecutionBaseSerializer):
        def to_representation(self, instance):
            return {**super().to_representation(instance), 'extra': True}

    with pytest.raises(NotCompilable, match='Decorated'):
        RowSerializer(Decorated)


def test_a_traceback_names_the_shape():
    with pytest.raises(TypeError) as raised:
        ROWS.to_dict(None)
    assert raised.tb.tb_next.tb_frame.f_code.co_filename == '<rows of JobExecutionBaseSerializer>'


def test_version_paths_refuse_a_joined_model_without_the_column():
    assert version_paths(JobExecutionBaseSerializer, 'last_modified') == (
        'last_modified',
        'job__last_modified',
        'job__job_type__last_modified',
        'node__last_modified',
        'error__last_modified',
    )
    with pytest.raises(NotCompilable, match='JobTypeRevision'):
        version_paths(JobExecutionSerializer, 'last_modified')
