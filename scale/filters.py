"""Filter building blocks shared by the list endpoints.

Every value is validated in a form field, so bad input becomes a 400 naming the parameter
through django-filter's DRF backend, and nothing a client sends reaches the database unchecked.
"""

from django import forms
from django.db.models import F, OrderBy
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import BaseCSVWidget
from drf_spectacular.utils import extend_schema_field

from scale.timestamps import TimestampError, parse_timestamp

# Ids are compared against integer columns; anything wider cannot match and overflows SQLite.
MIN_ID = -(2**63)
MAX_ID = 2**63 - 1


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
    """A parameter that may repeat; each occurrence is cleaned by `item_field`, and with `max_items` more than that
    many are refused before any is cleaned."""

    widget = RepeatedValuesWidget

    def __init__(self, item_field, max_items=None, **kwargs):
        self.item_field, self.max_items = item_field, max_items
        super().__init__(**kwargs)

    def clean(self, value):
        if self.max_items is not None and value and len(value) > self.max_items:
            raise forms.ValidationError(
                'At most %(most)d values, %(given)d given.',
                code='max_items',
                params={'most': self.max_items, 'given': len(value)},
            )
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


class OrderKeyField(forms.CharField):
    """One sort key, `name` or `-name`, cleaned to (path, descending); `param_map` maps each name (a sortable path
    or an alias of one) to its path. Form fields are copied for every request's form, but only shallowly, so the
    copies share the map (hundreds of names that never change)."""

    default_error_messages = {
        'invalid_choice': 'Select a valid choice. %(value)s is not one of the available choices.',
    }

    def __init__(self, param_map, **kwargs):
        self.param_map = param_map
        super().__init__(strip=False, **kwargs)

    def clean(self, value):
        name = super().clean(value)
        path = self.param_map.get(name.removeprefix('-'))
        if path is None:
            raise forms.ValidationError(
                self.error_messages['invalid_choice'], code='invalid_choice', params={'value': value}
            )
        return path, name.startswith('-')


# Repeatable, so an array of sort keys; a view's schema names them (job/openapi.py lists the keys).
@extend_schema_field({'type': 'array', 'items': {'type': 'string'}})
class OrderingFilter(filters.Filter):
    """Repeatable `order` (`?order=a&order=-b` or `?order=a,-b`) over `fields` and their `aliases`, a default
    order, and `id` as the final tie-breaker. `keys(value)` is the order as (path, descending) pairs, read by
    keyset pages too; NULLs sort as `ordered_by` places them."""

    field_class = RepeatedValuesField

    def __init__(self, *, fields, aliases=None, default=('last_modified',), max_keys=6, **kwargs):
        self.default = [(name.removeprefix('-'), name.startswith('-')) for name in default]
        kwargs.setdefault('widget', RepeatedCSVWidget)
        super().__init__(**kwargs)
        param_map = {name: name for name in fields} | dict(aliases or {})
        self.extra['item_field'] = OrderKeyField(param_map)
        # Each key costs a lookup and maybe a join: more than a handful is refused before any is looked at.
        self.extra['max_items'] = max_keys

    @property
    def param_map(self):
        """Each accepted name (without a dash) and the path it sorts by."""
        return self.extra['item_field'].param_map

    def keys(self, value):
        keys = list(value or self.default)
        if not any(path == 'id' for path, _ in keys):
            keys.append(('id', False))
        return keys

    def filter(self, qs, value):
        return qs.order_by(*[ordered_by(path, descending) for path, descending in self.keys(value)])


def ordered_by(path, descending):
    """The one place that says where NULLs sort, for the ordering filter and keyset pages alike: as PostgreSQL sorts
    them (last ascending, first descending), on every database."""
    return F(path).desc(nulls_first=True) if descending else F(path).asc(nulls_last=True)


def unindexed(ordering):
    """The same order written so that no index can serve it: `COALESCE(x, x)` is `x`, but no index holds it. The
    database then finds the matching rows through the filters' own indexes and sorts them, rather than walking an
    index in this order and checking every row it passes."""
    return [
        OrderBy(
            Coalesce(key.expression, key.expression),
            descending=key.descending,
            nulls_first=key.nulls_first,
            nulls_last=key.nulls_last,
        )
        for key in ordering
    ]


def order_keys(filterset):
    """The order a filter set's request asked for, as (path, descending) pairs ([('id', False)] without an
    ordering filter). The filter set has been validated (see FilterBackend)."""
    for name, list_filter in filterset.filters.items():
        if isinstance(list_filter, OrderingFilter):
            return list_filter.keys(filterset.form.cleaned_data.get(name))
    return [('id', False)]


def filter_values(filterset):
    """The cleaned values of a validated filter set's filters, its ordering left out."""
    return {
        name: value
        for name, value in filterset.form.cleaned_data.items()
        if not isinstance(filterset.filters[name], OrderingFilter)
    }


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, keeping the request's validated filter set on the view (`view.filterset`), so the
    view and its pagination read the cleaned values (the order, the filters a count needs) without building and
    validating it a second time."""

    def get_filterset(self, request, queryset, view):
        view.filterset = super().get_filterset(request, queryset, view)
        return view.filterset
