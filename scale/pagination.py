"""Pagination shared by every list endpoint: page numbers with an exact count by default, keyset pages on request.

As in DRF, a paginator reads its page from the lazy, filtered queryset the view hands it; `page_rows` is the one
statement both kinds run. Every other database read is in the app's selectors (see docs/architecture.md, "Reads").
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from functools import reduce

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from scale.filters import order_keys, ordered_by, unindexed


class StandardPagination(PageNumberPagination):
    """Page numbers with an exact count (`count`: the list's version query counts the filtered rows)."""

    counts = True
    page_size = 100
    page_size_query_param = 'page_size'
    max_page_size = 1000

    def get_page_size(self, request):
        """A large page_size is capped, as Scale did; one that is not a positive integer is a 400 naming it."""
        value = request.query_params.get(self.page_size_query_param, '')
        if value == '':
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f'Enter a whole number from 1 to {self.max_page_size} (larger values give {self.max_page_size}).'
                    ]
                }
            )
        return min(size, self.max_page_size)

    def check_request(self, request, queryset, view=None):
        """A bad page_size is a 400 before any query, even to a client holding a current tag."""
        self.get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter['schema']['minimum'] = 1
        return parameters

    def get_paginated_response_schema(self, schema):
        """DRF marks next/previous with OpenAPI 3.0's `nullable`; the schema is 3.1, where null is a type."""
        paginated = super().get_paginated_response_schema(schema)
        for link in ('next', 'previous'):
            paginated['properties'][link].pop('nullable', None)
            paginated['properties'][link]['type'] = ['string', 'null']
        paginated['properties']['count']['description'] = 'All matching rows.'
        return paginated


class KeysetPagination(BasePagination):
    """Opt-in keyset pages (`?pagination=cursor`, then the `cursor` links): cost independent of depth, no count.

    A cursor holds the sort values of the row it starts after, for the requested order plus `id`. NULLs sort
    as `scale.filters.ordered_by` places them (last ascending, first descending), and keys compare accordingly.
    """

    counts = False
    page_size_source = StandardPagination()

    def check_request(self, request, queryset, view=None):
        """Reads and checks the page size and the cursor: a bad one is a 400 before any query. The order is the one
        the view's filter set parsed (scale.filters.order_keys)."""
        self.request = request
        filterset = getattr(view, 'filterset', None)
        self.keys = order_keys(filterset) if filterset is not None else [('id', False)]
        self.page_size = self.page_size_source.get_page_size(request)
        self.cursor = decode_cursor(request.query_params.get('cursor'), queryset.model, self.keys)

    def paginate_queryset(self, rows, request, view=None):
        """The page of `rows` (SerializedRows) at the cursor, serialized; `check_request` came first."""
        page = self.page(rows.queryset, *rows.row_serializer.paths)
        self._links = self.links(page)
        return [rows.row_serializer.to_dict(row) for row in page]

    def get_paginated_response(self, data):
        return Response({**self._links, 'results': data})

    def get_paginated_response_schema(self, schema):
        link = {'type': ['string', 'null'], 'format': 'uri'}
        return {
            'type': 'object',
            'required': ['results'],
            'properties': {'next': link, 'previous': link, 'results': schema},
        }

    def page(self, queryset, *paths):
        """One query: the page's rows as `paths` followed by their sort keys. The page's ids come first from the
        keys alone (an index range for the default order), then only those rows are joined."""
        backwards = self.cursor is not None and self.cursor.backwards
        keys = [(path, descending != backwards) for path, descending in self.keys]
        ordering = [ordered_by(path, descending) for path, descending in keys]
        window = queryset.order_by(*ordering)
        if self.cursor is not None:
            window = window.filter(after(window.model, keys, self.cursor.values))
        key_paths = [path for path, _ in self.keys]
        rows = page_rows(window.values('pk')[: self.page_size + 1], ordering, [*paths, *key_paths])
        self.has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        return rows[::-1] if backwards else rows

    def links(self, rows):
        """The next and previous links around `rows`, as `page` returned them."""
        backwards = self.cursor is not None and self.cursor.backwards
        width = len(self.keys)
        first, last = (rows[0][-width:], rows[-1][-width:]) if rows else (None, None)
        more_after = self.has_more if not backwards else self.cursor is not None
        more_before = self.has_more if backwards else self.cursor is not None
        return {
            'next': self._link(last, backwards=False) if more_after and last else None,
            'previous': self._link(first, backwards=True) if more_before and first else None,
        }

    def _link(self, values, backwards):
        url = remove_query_param(self.request.build_absolute_uri(), 'page')
        return replace_query_param(url, 'cursor', encode_cursor(values, backwards))


class EitherPagination(BasePagination):
    """How a RequestedPaginationMixin view's pages are described (its `pagination_class`, read by the schema
    generator): a page-number page, or a keyset page. Its requests are paginated by the class they choose."""

    def get_paginated_response_schema(self, schema):
        return {
            'anyOf': [
                StandardPagination().get_paginated_response_schema(schema),
                KeysetPagination().get_paginated_response_schema(schema),
            ]
        }

    def get_schema_operation_parameters(self, view):
        return StandardPagination().get_schema_operation_parameters(view)


class RequestedPaginationMixin:
    """For list views: page numbers (`page_number_pagination_class`), or keyset pages for `?pagination=cursor` or
    a `cursor` (from their links). The one place a request's pagination is chosen; another `pagination` value is a
    400."""

    pagination_class = EitherPagination
    page_number_pagination_class = StandardPagination
    keyset_pagination_class = KeysetPagination

    @property
    def paginator(self):
        if not hasattr(self, '_paginator'):
            self._paginator = self.requested_pagination_class(self.request.query_params)()
        return self._paginator

    def requested_pagination_class(self, query_params):
        if 'pagination' in query_params and query_params['pagination'] != 'cursor':
            raise ValidationError({'pagination': ['Use pagination=cursor for keyset pages, or leave it out.']})
        if 'pagination' in query_params or 'cursor' in query_params:
            return self.keyset_pagination_class
        return self.page_number_pagination_class


class SerializedRows:
    """A filtered, ordered queryset as Django's Paginator sees it: a known count, and slices of serialized rows.

    `sorts_matches(end)`, when given, says whether the window ending at row `end` is cheaper to find by sorting every
    matching row than by walking an index in the list's order; its ids are then selected in an order no index can
    serve (`scale.filters.unindexed`), with the same rows in the same order.
    """

    ordered = True

    def __init__(self, queryset, row_serializer, count, sorts_matches=None):
        self.queryset, self.row_serializer, self._count = queryset, row_serializer, count
        self.sorts_matches = sorts_matches

    def count(self):
        return self._count

    def __len__(self):
        return self._count

    def __getitem__(self, window):
        ordering = self.queryset.query.order_by
        matches = self.queryset
        if self.sorts_matches is not None and self.sorts_matches(window.stop):
            matches = matches.order_by(*unindexed(ordering))
        rows = page_rows(matches.values('pk')[window], ordering, self.row_serializer.paths)
        return [self.row_serializer.to_dict(row) for row in rows]


def page_rows(page_ids, ordering, paths):
    """The rows `page_ids` (a lazy, sliced `values('pk')` queryset) selects, as `paths` in `ordering`: one statement.

    The window's ids are found first, from the keys alone, then only those rows are joined, so an offset skips
    index entries, not joined rows.
    """
    rows = page_ids.model._base_manager.filter(pk__in=page_ids).order_by(*ordering).values_list(*paths)
    return list(rows)


@dataclass(frozen=True)
class Cursor:
    values: tuple
    backwards: bool


def after(model, keys, values):
    """Rows strictly after `values` in the order `keys`: (k1 > v1) or (k1 = v1 and k2 > v2) or ...

    The leading key is also bounded on its own, so the database starts an index range there instead of filtering
    from the first row.
    """
    conditions, equal_so_far = [], Q()
    for (path, descending), value in zip(keys, values):
        nullable = _nullable(model, path)
        conditions.append(equal_so_far & _beyond(path, descending, value, nullable))
        equal_so_far &= Q(**{f'{path}__isnull': True}) if value is None else Q(**{path: value})
    condition = reduce(lambda left, right: left | right, conditions)
    return _leading_bound(keys[0], values[0], model) & condition


def _beyond(path, descending, value, nullable):
    if value is None:  # NULLs are last ascending (nothing beyond), first descending (every value beyond)
        return Q(**{f'{path}__isnull': False}) if descending else Q(pk__in=[])
    if descending:
        return Q(**{f'{path}__lt': value})
    strictly_greater = Q(**{f'{path}__gt': value})
    return strictly_greater | Q(**{f'{path}__isnull': True}) if nullable else strictly_greater


def _leading_bound(key, value, model):
    path, descending = key
    if value is None or (_nullable(model, path) and not descending):
        return Q()
    return Q(**{f'{path}__lte' if descending else f'{path}__gte': value})


def _fields(model, path):
    fields = []
    for name in path.split('__'):
        field = model._meta.get_field(name)
        fields.append(field)
        model = field.related_model if field.is_relation else model
    return fields


def _nullable(model, path):
    """True when the path can be NULL: a nullable column, or a column behind a nullable relation (a LEFT JOIN)."""
    return any(field.null for field in _fields(model, path))


def encode_cursor(values, backwards):
    plain = [value.isoformat() if isinstance(value, datetime.datetime) else value for value in values]
    text = json.dumps({'v': plain, 'b': backwards}, separators=(',', ':'))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip('=')


def decode_cursor(token, model, keys):
    """The cursor in `token`, with each value parsed by its column's field; a malformed one is a 400."""
    if not token:  # `?cursor=` alone, like `?pagination=cursor`, asks for the first page
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + '=' * (-len(token) % 4)))
        plain, backwards = data['v'], data['b']
        if not isinstance(plain, list) or len(plain) != len(keys) or not isinstance(backwards, bool):
            raise ValueError
        values = tuple(_parsed(_fields(model, path)[-1], value) for (path, _), value in zip(keys, plain))
    except (ValueError, TypeError, KeyError, binascii.Error, DjangoValidationError):
        raise ValidationError({'cursor': ['Invalid cursor: follow the next and previous links as given.']})
    return Cursor(values, backwards)


def _storable_text(text):
    """No NUL (PostgreSQL refuses it) and no lone surrogate (no encoding can send it to the database)."""
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return '\x00' not in text


def _parsed(field, value):
    """A cursor value as its column's type; values no column can hold (tampered cursors) are refused."""
    if value is None:
        return None
    if isinstance(value, (dict, list)) or (isinstance(value, str) and not _storable_text(value)):
        raise ValueError(value)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError(value)
    return field.to_python(value)
