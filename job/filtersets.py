"""The query parameters of the job execution list."""

from django.db import models
from django_filters.rest_framework import FilterSet

from error.models import Error
from job.models import Job, JobExecution, JobType
from node.models import Node
from scale import filters

# Ordering by JSON or long text columns is refused: it is meaningless and slow.
_UNORDERABLE = (models.JSONField, models.TextField)


def orderable_fields(model, prefix=''):
    return [
        prefix + field.name
        for field in model._meta.concrete_fields
        if not field.is_relation and not isinstance(field, _UNORDERABLE)
    ]


ORDERABLE_FIELDS = (
    orderable_fields(JobExecution)
    + orderable_fields(Job, 'job__')
    + orderable_fields(JobType, 'job__job_type__')
    + orderable_fields(Node, 'node__')
    + orderable_fields(Error, 'error__')
)

# The spec's own example, `order=job_type__name`, names the job type as if it hung off the execution.
ORDER_ALIASES = {
    name.replace('job__job_type__', 'job_type__', 1): name
    for name in ORDERABLE_FIELDS
    if name.startswith('job__job_type__')
}


class JobExecutionFilterSet(FilterSet):
    started = filters.TimestampFilter(field_name='last_modified', lookup_expr='gte')
    ended = filters.TimestampFilter(field_name='last_modified', lookup_expr='lte')
    status = filters.ChoiceListFilter(field_name='status', choices=JobExecution.Status.choices)
    job_type_id = filters.IntegerListFilter(field_name='job__job_type_id')
    job_type_name = filters.StringListFilter(field_name='job__job_type__name')
    job_type_category = filters.StringListFilter(field_name='job__job_type__category')
    node_id = filters.IntegerListFilter(field_name='node_id')
    order = filters.OrderingFilter(fields=ORDERABLE_FIELDS, aliases=ORDER_ALIASES, default=['last_modified'])

    class Meta:
        model = JobExecution
        fields = []
        form = filters.TimeRangeForm

    def filter_by_job_type_ids(self, queryset, job_type_ids):
        """`queryset` filtered as this (validated) filter set filters it, but with its job type filters replaced by
        `job_exe.job_type_id IN job_type_ids`: the ids of the job types those filters select, read beforehand, on
        each execution's copy of its job's type (PostgreSQL's triggers keep it, migration 0007). The same rows, with
        no join, and PostgreSQL plans with the statistics of that column instead of those of an average name."""
        for name, value in self.form.cleaned_data.items():
            if name not in JOB_TYPE_FILTERS:
                queryset = self.filters[name].filter(queryset, value)
        return queryset.filter(job_type_id__in=job_type_ids)


# The filters on the execution's job or its job type: each selects executions by the job type of their job.
JOB_TYPE_FILTERS = tuple(
    name
    for name, list_filter in JobExecutionFilterSet.base_filters.items()
    if list_filter.field_name.startswith('job__')
)
