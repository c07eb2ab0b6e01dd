"""List pages and details serialized straight from database rows, by functions compiled once from DRF serializers.

The DRF serializer stays the single description of a shape: its declared fields are read once to choose the
columns to select and to generate one dict expression per row, so a page of 1,000 does not pay DRF's per-field
machinery 50,000 times. Tests check the output is identical to the serializer's. Only field names (through
repr), column indexes and generated names reach the generated code; closures instead of one expression measured
about a fifth slower on a 1,000-row page. Nothing here reads the database: the rows come from job.selectors and
from the paginators (scale.pagination).
"""

import hashlib

from rest_framework import serializers

from scale.serializers import IdReferenceField, UtcTimestampField, utc_timestamp

# Their to_representation returns the database value unchanged (None stays None in serializers too).
_AS_STORED = (
    serializers.CharField,
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.FloatField,
    serializers.ChoiceField,
)


class NotCompilable(TypeError):
    pass


class RowSerializer:
    """`paths` are the `values_list` lookups to select; `to_dict(row)` gives the serializer's representation.

    `fingerprint` digests the generated code, the columns and the converters: it changes whenever the shape's
    bytes could, so ETags carry it instead of a hand-kept version number. `models` are the models whose columns
    the shape reads, found by walking its paths through `_meta` (which also checks every path when built).
    """

    def __init__(self, serializer_class, extra_paths=()):
        """`extra_paths` are selected too (after the shape's own columns), for callers to read with `position`."""
        self.name = serializer_class.__name__
        self.paths, self._converters = [], {}
        expression = self._dict_expression(serializer_class(), prefix='')
        for path in extra_paths:
            self._column(path)
        self.model = serializer_class.Meta.model
        # Every relation path the rows join ('' is the model itself), with its model.
        self.joins = {}
        for path in self.paths:
            names = path.split('__')
            for depth, model in enumerate(path_models(self.model, path)):
                self.joins.setdefault('__'.join(names[:depth]), model)
        self.models = frozenset(self.joins.values())
        source = f'lambda row: {expression}'
        # A traceback from a page names the shape it was building.
        self.to_dict = eval(compile(source, f'<rows of {self.name}>', 'eval'), dict(self._converters))
        converters = sorted((name, f'{f.__module__}.{f.__qualname__}') for name, f in self._converters.items())
        self.fingerprint = hashlib.blake2b(repr((source, self.paths, converters)).encode(), digest_size=8).hexdigest()

    def position(self, path):
        return self.paths.index(path)

    def _column(self, path):
        if path not in self.paths:
            self.paths.append(path)
        return f'row[{self.paths.index(path)}]'

    def _dict_expression(self, serializer, prefix):
        if type(serializer).to_representation is not serializers.Serializer.to_representation:
            raise NotCompilable(f'{type(serializer).__name__} overrides to_representation, which rows would bypass')
        items = [f'{name!r}: {self._field_expression(field, prefix)}' for name, field in serializer.fields.items()]
        return '{' + ', '.join(items) + '}'

    def _field_expression(self, field, prefix):
        if field.source == '*' or isinstance(field, serializers.SerializerMethodField):
            raise NotCompilable(f'{field.field_name} is not read from a column')
        path = prefix + '__'.join(field.source_attrs)
        if isinstance(field, serializers.BaseSerializer):
            present = self._column(f'{path}__{field.Meta.model._meta.pk.name}')
            return f'({self._dict_expression(field, path + "__")} if {present} is not None else None)'
        column = self._column(path)
        if isinstance(field, IdReferenceField):
            return f"({{'id': {column}}} if {column} is not None else None)"
        if isinstance(field, _AS_STORED) or (isinstance(field, serializers.JSONField) and not field.binary):
            return column
        return f'({self._converter(field)}({column}) if {column} is not None else None)'

    def _converter(self, field):
        """A name in the generated code for the field's representation function (None never reaches it)."""
        name = f'_convert_{len(self._converters)}'
        self._converters[name] = utc_timestamp if isinstance(field, UtcTimestampField) else field.to_representation
        return name


def path_models(model, path):
    """The models whose tables a `values_list` path reads, from `model` on: a relation at the end is its own
    column (the foreign key), not a join. FieldDoesNotExist for a path the models do not have."""
    models = [model]
    names = path.split('__')
    for name in names[:-1]:
        field = model._meta.get_field(name)
        if not field.is_relation:
            raise ValueError(f'{path}: {name} is not a relation')
        model = field.related_model
        models.append(model)
    model._meta.get_field(names[-1])
    return models


def version_paths(serializer_class, field_name, immutable=()):
    """The `field_name` column (a change timestamp) of every row the serializer's shape joins, as paths: what a
    version of that shape must read. Models in `immutable` are never updated once written and need none; any
    other joined model without the column is refused, so a new relation cannot go unversioned."""
    paths = []
    for prefix, model in RowSerializer(serializer_class).joins.items():
        if model in immutable:
            continue
        if field_name not in {field.name for field in model._meta.concrete_fields}:
            raise NotCompilable(
                f'{model.__name__} (at {prefix or "the top"}) has no {field_name} to version it by, '
                'and is not declared immutable'
            )
        paths.append(f'{prefix}__{field_name}' if prefix else field_name)
    return tuple(paths)
