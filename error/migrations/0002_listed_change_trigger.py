"""Writes to `error` change the lists' version: list answers show each execution's error (the counter is job/0004's)."""

import importlib

from django.db import migrations

listed_change = importlib.import_module('job.migrations.0004_listed_change')

COUNTED_TABLES = ('error',)


def install_trigger(apps, schema_editor):
    listed_change.add_counting_trigger(schema_editor, 'error')


def remove_trigger(apps, schema_editor):
    listed_change.remove_counting_trigger(schema_editor, 'error')


class Migration(migrations.Migration):
    dependencies = [
        ('error', '0001_initial'),
        ('job', '0004_listed_change'),
    ]

    operations = [
        migrations.RunPython(install_trigger, remove_trigger),
    ]
