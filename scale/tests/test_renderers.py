"""The orjson renderer writes the same bytes as DRF's JSON renderer for the answers this service gives."""

import datetime
import decimal

from rest_framework.renderers import JSONRenderer

from scale.renderers import OrjsonRenderer


def test_same_bytes_as_drf_for_nested_values():
    data = {'count': 2, 'next': None, 'results': [{'id': 1, 'ok': True, 'cpu': 0.5, 'name': 'né', 'job': {'id': 3}}]}
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)


def test_types_orjson_does_not_know_go_through_drf_encoder():
    data = {'amount': decimal.Decimal('1.50'), 'when': datetime.date(2015, 8, 28)}
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)


def test_no_data_is_an_empty_body():
    assert OrjsonRenderer().render(None) == b''
