"""The shapes in which an error appears inside job execution answers."""

from error.models import Error
from scale.serializers import ModelSerializer


class ErrorBaseSerializer(ModelSerializer):
    class Meta:
        model = Error
        fields = ['id', 'name', 'title', 'description', 'category']


class ErrorSerializer(ErrorBaseSerializer):
    class Meta(ErrorBaseSerializer.Meta):
        fields = ErrorBaseSerializer.Meta.fields + ['created', 'last_modified']
