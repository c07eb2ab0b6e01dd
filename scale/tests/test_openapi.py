"""The OpenAPI schema is valid, and what every endpoint really answers conforms to it."""

import copy

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator

from error import serializers as error_serializers
from job import serializers as job_serializers
from job.tests.factories import make_execution, make_full_execution, make_node, make_sparse_execution
from node import serializers as node_serializers
from scale.openapi import built_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api):
    response = api.get('/api/schema/', {'format': 'json'})
    assert response.status_code == 200
    return response.json()


def closed_objects(components):
    """A copy where every object accepts only its documented properties, so an undocumented field fails."""
    components = copy.deepcopy(components)

    def close(node):
        if isinstance(node, dict):
            if 'properties' in node:
                node.setdefault('additionalProperties', False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(components)
    return components


def assert_conforms(schema, path, response):
    documented = schema['paths'][path]['get']['responses']
    assert str(response.status_code) in documented, f'{path} answered an undocumented {response.status_code}'
    body_schema = documented[str(response.status_code)]['content']['application/json']['schema']
    validator = Draft202012Validator({'allOf': [body_schema], 'components': closed_objects(schema['components'])})
    errors = [f'{list(error.absolute_path)}: {error.message}' for error in validator.iter_errors(response.json())]
    assert not errors, f'{path} {response.status_code}: {errors[:5]}'


def test_schema_is_valid_openapi_and_describes_each_path_once(schema):
    validate_schema(schema)
    assert set(schema['paths']) == {
        '/job-executions/',
        '/job-executions/{id}/',
        '/job-executions/{id}/logs/',
        '/job-executions/{id}/logs/stdout/',
        '/job-executions/{id}/logs/stderr/',
    }


def test_repeatable_list_parameters_are_arrays(schema):
    parameters = {p['name']: p for p in schema['paths']['/job-executions/']['get']['parameters']}
    for name in ('status', 'job_type_id', 'job_type_name', 'job_type_category', 'node_id', 'order'):
        assert parameters[name]['schema']['type'] == 'array', name
        assert parameters[name]['explode'] is True
    assert {'page', 'page_size', 'started', 'ended', 'pagination', 'cursor'} <= set(parameters)
    assert 'job_type__name' in parameters['order']['schema']['items']['enum']
    assert parameters['order']['schema']['maxItems'] == 6


def test_every_endpoint_answers_as_documented(api, schema, sandbox_agent):
    full, bare = make_full_execution(), make_execution()
    sandbox_agent.write('/sandbox/stdout', 'live out\n')
    running = make_execution(
        status='RUNNING',
        ended=None,
        node=make_node(hostname=sandbox_agent.host, port=sandbox_agent.port),
        current_stdout_url=sandbox_agent.download_url('/sandbox/stdout'),
        current_stderr_url=sandbox_agent.download_url('/sandbox/missing'),
    )
    cases = [
        ('/job-executions/', '/job-executions/'),
        ('/job-executions/', '/job-executions/?status=failed&status=completed&order=-id&page_size=1'),
        ('/job-executions/', '/job-executions/?started=not-a-time'),
        ('/job-executions/', '/job-executions/?order=no_such_field'),
        ('/job-executions/', '/job-executions/?pagination=cursor&page_size=1&order=-node__hostname'),
        ('/job-executions/', '/job-executions/?cursor=tampered'),
        ('/job-executions/{id}/', f'/job-executions/{full.id}/'),
        ('/job-executions/{id}/', f'/job-executions/{bare.id}/'),
        ('/job-executions/{id}/', '/job-executions/999999/'),
        ('/job-executions/{id}/logs/', f'/job-executions/{full.id}/logs/'),
        ('/job-executions/{id}/logs/', f'/job-executions/{running.id}/logs/'),
        ('/job-executions/{id}/logs/', '/job-executions/999999/logs/'),
        ('/job-executions/{id}/logs/stdout/', f'/job-executions/{full.id}/logs/stdout/?offset=-1'),
        ('/job-executions/{id}/logs/stderr/', '/job-executions/999999/logs/stderr/'),
    ]
    statuses = set()
    for path, url in cases:
        response = api.get(url)
        statuses.add(response.status_code)
        assert_conforms(schema, path, response)
    assert statuses == {200, 400, 404}


def shapes():
    """(component name, serializer) for every model shape the API answers, nested ones included."""
    modules = (job_serializers, node_serializers, error_serializers)
    return [
        (name.removesuffix('Serializer'), serializer)
        for module in modules
        for name, serializer in vars(module).items()
        if isinstance(serializer, type)
        and issubclass(serializer, job_serializers.ModelSerializer)
        and serializer.__module__ == module.__name__
    ]


def accepts_null(schema, property_schema):
    return Draft202012Validator({'allOf': [property_schema], 'components': schema['components']}).is_valid(None)


def test_every_nullable_column_is_nullable_in_the_schema_and_no_other(schema):
    checked = 0
    for component, serializer in shapes():
        model, properties = serializer.Meta.model, schema['components']['schemas'][component]['properties']
        for name, field in serializer().fields.items():
            model_fields = {f.name: f for f in model._meta.concrete_fields}
            if field.source not in model_fields:
                continue
            model_field = model_fields[field.source]
            if model_field.null:
                assert accepts_null(schema, properties[name]), f'{component}.{name} can be null'
            elif model_field.get_internal_type() != 'JSONField':  # a JSON document may be null in any column
                assert not accepts_null(schema, properties[name]), f'{component}.{name} is never null'
            checked += 1
    assert checked > 100 and ('TriggerEvent', job_serializers.TriggerEventSerializer) in shapes()


def test_answers_with_nulls_wherever_scale_allows_them_are_as_documented(api, schema):
    bare, with_relations = make_sparse_execution(), make_sparse_execution(with_node_and_error=True)
    detail = api.get(f'/job-executions/{bare.id}/')
    assert detail.json()['job']['event']['rule'] is None and detail.json()['node'] is None
    assert api.get(f'/job-executions/{with_relations.id}/').json()['node']['last_offer'] is None
    for execution in (bare, with_relations):
        for path, url in [
            ('/job-executions/{id}/', f'/job-executions/{execution.id}/'),
            ('/job-executions/{id}/logs/', f'/job-executions/{execution.id}/logs/'),
        ]:
            response = api.get(url)
            assert response.status_code == 200
            assert_conforms(schema, path, response)
    listed = api.get('/job-executions/')
    assert listed.json()['count'] == 2
    assert_conforms(schema, '/job-executions/', listed)


def test_a_list_parameter_sent_empty_is_ignored_exactly_where_the_schema_says_so(api, schema):
    make_full_execution()
    parameters = schema['paths']['/job-executions/']['get']['parameters']
    ignored = {p['name'] for p in parameters if p.get('allowEmptyValue')}
    assert {'status', 'order', 'page', 'started', 'node_id'} <= ignored
    absent = api.get('/job-executions/').json()
    for parameter in parameters:
        response = api.get(f'/job-executions/?{parameter["name"]}=')
        if parameter['name'] in ignored:
            assert response.status_code == 200 and response.json() == absent, parameter['name']
        else:  # then the schema's type decides: an enum without '' refuses it, a string takes it
            refused = '' not in parameter['schema'].get('enum', [''])
            assert (response.status_code == 400) == refused, (parameter['name'], response.status_code)
    everything_empty = '&'.join(f'{name}=' for name in sorted(ignored))
    assert api.get(f'/job-executions/?{everything_empty}').json() == absent


def test_plain_text_logs_answer_as_documented(api, schema):
    execution = make_execution(stdout='out\n')
    documented = schema['paths']['/job-executions/{id}/logs/stdout/']['get']
    assert {'offset', 'tail', 'limit', 'follow'} <= {p['name'] for p in documented['parameters']}
    response = api.get(f'/job-executions/{execution.id}/logs/stdout/')
    assert response.status_code == 200
    assert response['Content-Type'] in documented['responses']['200']['content']
    assert api.get(f'/job-executions/{execution.id}/logs/stdout/?offset=4').status_code == 204
    assert '204' in documented['responses']


def test_swagger_ui_is_served_with_local_assets(api):
    page = api.get('/api/docs/')
    assert page.status_code == 200
    html = page.content.decode()
    assert '/static/drf_spectacular_sidecar/swagger-ui-dist/' in html
    assert 'cdn.jsdelivr.net' not in html


def test_unauthorized_answers_are_documented(api, schema, settings):
    settings.API_TOKENS = ['test-token-0123456789']
    for path, url in [
        ('/job-executions/', '/job-executions/'),
        ('/job-executions/{id}/', '/job-executions/1/'),
        ('/job-executions/{id}/logs/', '/job-executions/1/logs/'),
    ]:
        response = api.get(url)
        assert response.status_code == 401
        assert_conforms(schema, path, response)
    assert 'apiToken' in schema['components']['securitySchemes']


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns every guess drf-spectacular had to make (an untyped field, a name clash) into an error.
    call_command('spectacular', '--validate', '--fail-on-warn', '--file', str(tmp_path / 'schema.yaml'))


def test_the_schema_is_built_once_whatever_the_request_asks(api):
    built_schema.cache_clear()
    asked = [{'format': 'json'}, {}, {'version': 'x'}, {'version': 'y'}]
    answers = [api.get('/api/schema/', params) for params in asked]
    assert [answer.status_code for answer in answers] == [200] * 4
    assert answers[0].json()['info']['version'] == '3' and answers[1].content.startswith(b'openapi: 3.1')
    assert built_schema.cache_info().misses == 1 and built_schema.cache_info().currsize == 1
