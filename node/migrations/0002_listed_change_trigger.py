"""Writes to `node` change the lists' version: list answers show each execution's node (the counter is job/0004's)."""

import importlib

from django.db import migrations

listed_change = importlib.import_module('job.migrations.0004_listed_change')

COUNTED_TABLES = ('node',)


def install_trigger(apps, schema_editor):
    listed_change.add_counting_trigger(schema_editor, 'node')


def remove_trigger(apps, schema_editor):
    listed_change.remove_counting_trigger(schema_editor, 'node')


class Migration(migrations.Migration):
    dependencies = [
        ('node', '0001_initial'),
        ('job', '0004_listed_change'),
    ]

    operations = [
        migrations.RunPython(install_trigger, remove_trigger),
    ]
