"""Filter building blocks shared by the list endpoints.

Every value is validated in a form field, so bad input becomes a 400 naming the parameter
through django-filter's DRF backend, and nothing a client sends reaches the database unchecked.
"""
import copy

from django import forms
from django.db.models import F
from django.utils import timezone
from django_filters import rest_framework as filters
from django_filters.widgets import BaseCSVWidget

from scale.timestamps import TimestampError, parse_timestamp

# Ids are compared against integer columns; anything wider cannot match and overflows SQLite.
MIN_ID = -(2**63)
MAX_ID = 2**63 - 1


class KeepingFilterBackend(filters.DjangoFilterBackend):
    """django-filter's DRF backend that leaves the request's validated filter set on the view (`view.filterset`), so
    the view can read the cleaned values without building and validating it a second time."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        view.filterset = filterset
        return filterset


def filter_values(filterset):
    """The cleaned values of a validated filter set's filters, its ordering left out."""
    return {name: value for name, value in filterset.form.cleaned_data.items()
            if not isinstance(filterset.filters[name], filters.OrderingFilter)}


class RepeatedValuesWidget(forms.MultipleHiddenInput):
    """Reads every occurrence of a repeated query parameter, skipping empty ones (`?status=`)."""

    def value_from_datadict(self, data, files, name):
        values = super().value_from_datadict(data, files, name)
        return [value for value in values or [] if value != '']


class RepeatedCSVWidget(BaseCSVWidget, forms.TextInput):
    """Reads `?order=a&order=b` and also `?order=a,b`."""

    def value_from_datadict(self, data, files, name):
        if name not in data:
            return None
        return [part for value in data.getlist(name) for part in value.split(',') if part]


class RepeatedValuesField(forms.Field):
    """A parameter that may repeat; each occurrence is cleaned by `item_field`."""

    widget = RepeatedValuesWidget

    def __init__(self, item_field, **kwargs):
        self.item_field = item_field
        super().__init__(**kwargs)

    def clean(self, value):
        return [self.item_field.clean(item) for item in value or []]


class UppercaseChoiceField(forms.ChoiceField):
    def to_python(self, value):
        return super().to_python(value).upper()


class IntegerListFilter(filters.Filter):
    """Any of the given integers (`?node_id=1&node_id=2`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault('lookup_expr', 'in')
        super().__init__(**kwargs)
        self.extra['item_field'] = forms.IntegerField(min_value=MIN_ID, max_value=MAX_ID)

    field_class = RepeatedValuesField


class StringListFilter(filters.Filter):
    """Any of the given exact strings; NUL characters are refused (PostgreSQL cannot store them)."""

    def __init__(self, **kwargs):
        kwargs.setdefault('lookup_expr', 'in')
        super().__init__(**kwargs)
        self.extra['item_field'] = forms.CharField(strip=False)

    field_class = RepeatedValuesField


class ChoiceListFilter(filters.Filter):
    """Any of the given choices, matched case-insensitively and stored upper-case."""

    def __init__(self, *, choices, **kwargs):
        kwargs.setdefault('lookup_expr', 'in')
        super().__init__(**kwargs)
        self.extra['item_field'] = UppercaseChoiceField(choices=choices)

    field_class = RepeatedValuesField


class TimestampField(forms.Field):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_timestamp(value, now=getattr(self, 'now', None))
        except TimestampError as error:
            # The message quotes the client's value: pass it as a parameter so a '%' in it is not a format.
            raise forms.ValidationError('%(problem)s', code='invalid', params={'problem': str(error)})


class TimestampFilter(filters.Filter):
    """An ISO-8601 date-time with a zone, or an ISO-8601 duration counted back from now."""

    field_class = TimestampField


class TimeRangeForm(forms.Form):
    """The form of a filter set with `started` and `ended`: the range must not be empty or reversed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Both durations count back from one moment, so started=P1D&ended=P1D is the empty range it reads as.
        now = timezone.now()
        for name in ('started', 'ended'):
            if name in self.fields:
                self.fields[name].now = now

    def clean(self):
        cleaned = super().clean()
        started, ended = cleaned.get('started'), cleaned.get('ended')
        if started is not None and ended is not None and started >= ended:
            self.add_error('started', 'started must be earlier than ended.')
        return cleaned


class SharedChoicesField(forms.ChoiceField):
    """A choice field whose copies share its choices: each request's form deep-copies its fields, and copying
    hundreds of order choices that never change was a visible part of a small page's time."""

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)


class OrderingFilter(filters.OrderingFilter):
    """Repeatable `order` with aliases, a default order, and `id` as the final tie-breaker.

    NULLs sort as PostgreSQL sorts them (last ascending, first descending) on every database.
    """

    def __init__(self, *, aliases=None, default=('last_modified',), **kwargs):
        self.aliases = aliases or {}
        self.default = tuple(default)
        kwargs.setdefault('widget', RepeatedCSVWidget)
        super().__init__(**kwargs)
        self.param_map.update(self.aliases)
        self.field_class = type('OrderField', (SharedChoicesField, self.field_class), {})

    def __deepcopy__(self, memo):
        """Each request's filter set deep-copies its filters; this one's hundreds of choices never change, so the
        copy shares them (a deep copy was half the Python time of a small page)."""
        clone = copy.copy(self)
        clone.extra = dict(self.extra)
        clone.__dict__.pop('_field', None)
        return clone

    def build_choices(self, fields, labels):
        return super().build_choices({**fields, **{alias: alias for alias in self.aliases}}, labels)

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or []] or list(self.default)
        if not any(name.lstrip('-') == 'id' for name in ordering):
            ordering.append('id')
        return qs.order_by(*[_with_postgres_nulls(name) for name in ordering])


def _with_postgres_nulls(name):
    if name.startswith('-'):
        return F(name[1:]).desc(nulls_first=True)
    return F(name).asc(nulls_last=True)
