"""Serializer pieces shared by every app: UTC timestamps with a `Z`, and `{"id": n}` references."""

import datetime

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

_UTC = datetime.timezone.utc


def utc_timestamp(value):
    """ISO-8601 in UTC with millisecond precision and a `Z`, as Scale wrote them (2015-08-28T17:57:44.703Z)."""
    if value.tzinfo is not _UTC:
        value = value.astimezone(_UTC)
    return value.isoformat(timespec='milliseconds').replace('+00:00', 'Z')


class UtcTimestampField(serializers.DateTimeField):
    """A timestamp shown by `utc_timestamp`; the list's row serializer calls that function directly."""

    def to_representation(self, value):
        if value is None:
            return None
        return utc_timestamp(value)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcTimestampField,
    }


@extend_schema_field({'type': 'object', 'properties': {'id': {'type': 'integer'}}, 'required': ['id']})
class IdReferenceField(serializers.PrimaryKeyRelatedField):
    """A related row shown as `{"id": n}`, read from the foreign-key column without loading the row."""

    def __init__(self, **kwargs):
        kwargs.setdefault('read_only', True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return {'id': value.pk}
