"""The filter building blocks on their own: repeated values, order keys and where NULLs sort."""

import pytest
from django import forms
from django.db.models import F
from django.http import QueryDict

from scale.filters import OrderingFilter, OrderKeyField, RepeatedCSVWidget, RepeatedValuesField, ordered_by


def test_repeated_values_are_each_cleaned_by_the_item_field():
    field = RepeatedValuesField(forms.IntegerField(max_value=10), required=False)
    assert field.clean(['1', '2']) == [1, 2]
    with pytest.raises(forms.ValidationError):
        field.clean(['1', '11'])


def test_the_csv_widget_reads_repeats_and_commas_and_skips_empty_parts():
    widget = RepeatedCSVWidget()
    assert widget.value_from_datadict(QueryDict('order=a,-b&order=c&order='), {}, 'order') == ['a', '-b', 'c']
    assert widget.value_from_datadict(QueryDict(''), {}, 'order') is None


def test_order_keys_are_cleaned_to_paths_with_a_direction():
    field = OrderKeyField({'name': 'name', 'type_name': 'job__job_type__name'})
    assert field.clean('name') == ('name', False)
    assert field.clean('-type_name') == ('job__job_type__name', True)
    with pytest.raises(forms.ValidationError, match='colour is not one of the available choices'):
        field.clean('colour')


def test_copies_of_an_order_field_share_its_names():
    """Every request's form copies its fields: the names, which never change, are not copied with them."""
    import copy

    field = OrderKeyField({'name': 'name'})
    assert copy.deepcopy(field).param_map is field.param_map


def test_the_order_falls_back_to_the_default_and_always_ends_with_id():
    order = OrderingFilter(fields=['name', 'id'], aliases={'alias': 'name'}, default=['-name'])
    assert order.keys([]) == [('name', True), ('id', False)]
    assert order.keys([('id', True)]) == [('id', True)]
    assert order.param_map == {'name': 'name', 'id': 'id', 'alias': 'name'}


def test_nulls_sort_last_ascending_and_first_descending():
    assert ordered_by('name', False) == F('name').asc(nulls_last=True)
    assert ordered_by('name', True) == F('name').desc(nulls_first=True)


@pytest.mark.django_db
def test_filter_values_leave_the_order_out():
    from job.filtersets import JobExecutionFilterSet
    from job.models import JobExecution
    from scale.filters import filter_values

    filterset = JobExecutionFilterSet(QueryDict('status=running&order=-id'), queryset=JobExecution.objects.all())
    assert filterset.is_valid()
    assert filter_values(filterset)['status'] == ['RUNNING'] and 'order' not in filter_values(filterset)
