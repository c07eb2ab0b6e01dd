"""An index leading with status and node in the list's order: a page filtered by both (and a job type, which makes
it rare) walks only the executions of that status on that node (docs/performance.md, "The page of a rare
combination"). Building it holds Scale's writes to job_exe until it is done (docs/operations.md, "Counts")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('error', '0002_listed_change_trigger'),
        ('job', '0005_execution_group_counts'),
        ('node', '0002_listed_change_trigger'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='jobexecution',
            index=models.Index(fields=['status', 'node', 'last_modified', 'id'], name='job_exe_status_node_modified'),
        ),
    ]
