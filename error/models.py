"""The errors that Scale records against failed jobs and executions (table `error`)."""

from django.db import models


class Error(models.Model):
    class Category(models.TextChoices):
        SYSTEM = 'SYSTEM'
        ALGORITHM = 'ALGORITHM'
        DATA = 'DATA'

    name = models.CharField(max_length=50, unique=True, db_index=True)
    title = models.CharField(max_length=50, null=True)
    description = models.CharField(max_length=250, null=True)
    category = models.CharField(max_length=50, choices=Category.choices, default=Category.SYSTEM, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'error'

    def __str__(self):
        return self.name
