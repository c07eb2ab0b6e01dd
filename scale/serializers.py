"""Serializer pieces shared by every app: UTC timestamps with a `Z`, and `{"id": n}` references."""
import datetime

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class UtcTimestampField(serializers.DateTimeField):
    """ISO-8601 in UTC with millisecond precision and a `Z`, as Scale wrote them (2015-08-28T17:57:44.703Z)."""

    def to_representation(self, value):
        if value is None:
            return None
        utc = value.astimezone(datetime.timezone.utc)
        return utc.isoformat(timespec='milliseconds').replace('+00:00', 'Z')


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
