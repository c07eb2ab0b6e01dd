"""What the ETags cover, derived from the shapes: the tables the triggers must count, the rows details version,
and the check that every counted table still has its trigger."""

import importlib

import pytest
from django.db import connection

from error.models import Error
from job.models import Job, JobExecution, JobType, JobTypeRevision, TriggerEvent
from job.selectors import LISTED_TABLES, missing_triggers
from job.serializers import DETAIL_ROWS, DETAIL_VERSION_PATHS, IMMUTABLE_MODELS, LIST_ROWS
from node.models import Node

COUNTING_MIGRATIONS = (
    'job.migrations.0004_listed_change',
    'node.migrations.0002_listed_change_trigger',
    'error.migrations.0002_listed_change_trigger',
)


def counted_tables():
    return {table for name in COUNTING_MIGRATIONS for table in importlib.import_module(name).COUNTED_TABLES}


def test_the_triggers_count_exactly_the_tables_lists_read():
    assert set(LISTED_TABLES) == counted_tables()
    assert {model._meta.db_table for model in LIST_ROWS.models} <= set(LISTED_TABLES)
    # What the list shape reads, walked through the models' relations.
    assert LIST_ROWS.models == {JobExecution, Job, JobType, Node, Error}


def test_details_versions_cover_every_joined_row_but_the_immutable_ones():
    """Job type revisions and trigger events are written once by Scale and never updated."""
    assert set(IMMUTABLE_MODELS) == {JobTypeRevision, TriggerEvent}
    versioned = {path.removesuffix('last_modified').rstrip('_') for path in DETAIL_VERSION_PATHS}
    unversioned = {prefix: model for prefix, model in DETAIL_ROWS.joins.items() if prefix not in versioned}
    assert set(unversioned) == {'job__job_type_rev', 'job__event'}
    assert set(unversioned.values()) == set(IMMUTABLE_MODELS)
    assert {DETAIL_ROWS.joins[prefix] for prefix in versioned} == {JobExecution, Job, JobType, Node, Error}


def drop_trigger(table):
    with connection.cursor() as cursor:
        if connection.vendor == 'postgresql':
            cursor.execute(f'DROP TRIGGER api_listed_change ON "{table}"')
        else:
            cursor.execute(f'DROP TRIGGER api_listed_change_{table}_UPDATE')


@pytest.mark.django_db
def test_every_counted_table_has_its_trigger():
    assert missing_triggers('default') == []


@pytest.mark.django_db
def test_a_table_without_its_trigger_is_named(api):
    drop_trigger('node')
    assert missing_triggers('default') == ['node']
    ready = api.get('/readyz')
    assert ready.status_code == 503
    assert ready.json() == {
        'status': 'unavailable',
        'databases': {'default': 'ok'},
        'migrations': 'ok',
        'missing_triggers': ['node'],
    }
