"""The shapes in which a node appears inside job execution answers."""

from node.models import Node
from scale.serializers import ModelSerializer


class NodeBaseSerializer(ModelSerializer):
    class Meta:
        model = Node
        fields = ['id', 'hostname', 'port', 'slave_id']


class NodeSerializer(NodeBaseSerializer):
    class Meta(NodeBaseSerializer.Meta):
        fields = NodeBaseSerializer.Meta.fields + [
            'pause_reason',
            'is_paused',
            'is_paused_errors',
            'is_active',
            'archived',
            'created',
            'last_offer',
            'last_modified',
        ]
