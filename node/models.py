"""The cluster nodes (Mesos agents) that run job executions (table `node`)."""

from django.db import models


class Node(models.Model):
    hostname = models.CharField(max_length=250, unique=True)
    port = models.IntegerField()
    slave_id = models.CharField(max_length=250, unique=True, db_index=True)
    pause_reason = models.CharField(max_length=250, null=True)
    is_paused = models.BooleanField(default=False)
    is_paused_errors = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    archived = models.DateTimeField(null=True)
    last_offer = models.DateTimeField(null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'node'

    def __str__(self):
        return self.hostname
