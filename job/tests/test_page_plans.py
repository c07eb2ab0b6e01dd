"""How a list's page is found: by walking an index in the list's order, or, when the per-group counts say the
matching rows are too rare for that walk to end soon, by sorting the matches the filters' own indexes reach
(job.counts.GroupSizes, scale.filters.unindexed). Either way the answer is the same, in two statements."""

import json
import re

import pytest
from django.db import connection
from django.http import QueryDict

from job.counts import GroupSizes, sizes_sql
from job.filtersets import JobExecutionFilterSet
from job.models import JobExecution
from job.tests.factories import make_job, make_job_type, make_node
from job.views import JobExecutionViewSet

postgresql_only = pytest.mark.skipif(connection.vendor != 'postgresql', reason='the group counts are PostgreSQL only')

# Executions numbered i = 1..n: job jobs[i % 8], node nodes[i / 8 % 4], last modified i * step seconds before now.
INSERT = """
WITH RECURSIVE numbered (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM numbered WHERE i < %(n)s)
INSERT INTO job_exe (job_id, status, node_id, command_arguments, timeout, environment, requires_cleanup,
                     results_manifest, results, created, queued, last_modified)
SELECT {job}, %(status)s, {node}, 'x', 60, '{{}}', false, '{{}}', '{{}}', {moment}, {moment}, {moment}
FROM numbered
"""
MOMENT = {
    'postgresql': 'now() - make_interval(secs => i * %(step)s)',
    'sqlite': "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || (i * %(step)s) || ' seconds')",
}


def insert(jobs, nodes, status, n, step):
    def choose(number, ids):
        cases = ' '.join(f'WHEN {k} THEN {int(id_)}' for k, id_ in enumerate(ids))
        return f'CASE {number} %% {len(ids)} {cases} END'

    sql = INSERT.format(job=choose('i', jobs), node=choose('(i / 8)', nodes), moment=MOMENT[connection.vendor])
    with connection.cursor() as cursor:
        cursor.execute(sql, {'status': status, 'n': n, 'step': step})


@pytest.fixture
def world(db):
    """21,000 executions of 4 job types over 4 nodes, 1,000 of them failed, and 40 more of the job type `rare` and
    20 of its second version `rare2`, failed on `node`; analyzed, as autovacuum would leave them."""
    types = [make_job_type(name=f'type-{i}', category='raster') for i in range(4)]
    nodes = [make_node().id for _ in range(4)]
    jobs = [make_job(job_type=types[i % 4]).id for i in range(8)]
    insert(jobs, nodes, 'COMPLETED', 20_000, 1)
    insert(jobs, nodes, 'FAILED', 960, 20.3)
    rare = make_job_type(name='rare', version='1', category='vector')
    insert([make_job(job_type=rare).id], [nodes[0]], 'FAILED', 40, 7.7)
    rare2 = make_job_type(name='rare', version='2', category='vector')
    insert([make_job(job_type=rare2).id], [nodes[0]], 'FAILED', 20, 13.1)
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE job_exe' if connection.vendor == 'postgresql' else 'ANALYZE')
    return {'rare': rare.id, 'rare2': rare2.id, 'common': types[3].id, 'node': nodes[0]}


# Rare, and of two job types: no index holds their rows in the list's order.
RARE = [
    'job_type_name=rare',
    'job_type_name=rare&node_id={node}',
    'status=FAILED&job_type_category=vector',
    'job_type_id={rare}&job_type_id={rare2}&status=FAILED',
]
# One job type: its executions lie in the list's order along job_exe_type_modified_id, however deep the page.
ONE_JOB_TYPE = [
    'job_type_id={rare}',
    'status=FAILED&node_id={node}&job_type_id={rare}',
    'job_type_id={common}&page=50&page_size=100',
]
# The page walks the ordering index; the planner's own plan is checked for those of WALKED.
COMMON = ['', 'page_size=1000', 'status=COMPLETED', 'page=150&page_size=100', 'job_type_id={common}']
WALKED = ['', 'page_size=1000', 'status=COMPLETED']


def page_statement(api, query, django_assert_num_queries):
    """The answer to the list with `query`, and its second statement (the page), which it checks is the last."""
    with django_assert_num_queries(2) as captured:
        response = api.get(f'/job-executions/?{query}')
    assert response.status_code == 200
    return response, captured.captured_queries[1]['sql']


def plan(sql):
    with connection.cursor() as cursor:
        cursor.execute(f'EXPLAIN (FORMAT JSON) {sql}')
        explained = cursor.fetchone()[0]
    return (json.loads(explained) if isinstance(explained, str) else explained)[0]['Plan']


def nodes(node):
    yield node
    for child in node.get('Plans', ()):
        yield from nodes(child)


def page_ids_plan(sql):
    """The plan of the subquery that finds the page's ids: the Limit whose input is job_exe's rows."""
    limits = [node for node in nodes(plan(sql)) if node['Node Type'] == 'Limit']
    assert len(limits) == 1, limits
    return limits[0]['Plans'][0]


@postgresql_only
@pytest.mark.parametrize('query', RARE)
def test_a_rare_combination_sorts_its_few_matches_instead_of_walking_the_ordering_index(
    world, api, django_assert_num_queries, query
):
    _, sql = page_statement(api, query.format(**world), django_assert_num_queries)
    below_limit = page_ids_plan(sql)
    assert below_limit['Node Type'] == 'Sort' and 'COALESCE' in ' '.join(below_limit['Sort Key'])
    scanned = [node.get('Index Name') for node in nodes(below_limit) if node.get('Relation Name') == 'job_exe']
    assert 'job_exe_last_modified_id' not in scanned


@postgresql_only
@pytest.mark.parametrize('query', COMMON)
def test_common_lists_are_found_as_before(world, api, django_assert_num_queries, query):
    _, sql = page_statement(api, query.format(**world), django_assert_num_queries)
    assert 'COALESCE' not in sql
    if query in WALKED:  # at this size the planner sorts the others itself
        assert page_ids_plan(sql)['Node Type'] != 'Sort'


@postgresql_only
@pytest.mark.parametrize('query', ONE_JOB_TYPE)
def test_one_job_type_is_walked_along_its_own_index(world, api, django_assert_num_queries, query):
    _, sql = page_statement(api, query.format(**world), django_assert_num_queries)
    assert 'COALESCE' not in sql  # walked, even 5,000 rows deep: the walk passes only that type's executions
    if 'rare' in query:  # at this size the planner reads a common type's by itself
        assert 'job_exe_type_modified_id' in {node.get('Index Name') for node in nodes(page_ids_plan(sql))}


@pytest.mark.parametrize(
    'query', [*RARE, *ONE_JOB_TYPE, *COMMON, 'order=-node__hostname&status=FAILED&page=2&page_size=7']
)
def test_sorting_the_matches_answers_the_same_bytes(world, api, django_assert_num_queries, monkeypatch, query):
    query = query.format(**world)
    monkeypatch.setattr(JobExecutionViewSet, 'sorts_matches', lambda self, end: False)
    walked, walked_sql = page_statement(api, query, django_assert_num_queries)
    monkeypatch.setattr(JobExecutionViewSet, 'sorts_matches', lambda self, end: True)
    sorted_, sorted_sql = page_statement(api, query, django_assert_num_queries)
    assert 'COALESCE' not in walked_sql and 'COALESCE' in sorted_sql
    assert json.loads(walked.content)['results'], 'an empty page would prove nothing'
    assert sorted_.content == walked.content


@postgresql_only
@pytest.mark.parametrize(
    'filters',
    [
        {},
        {'node_id': ['node']},
        {'status': ['FAILED'], 'node_id': ['node']},
        {'job_type_id': ['rare']},
        {'job_type_id': ['rare', 'rare2']},
        {'status': ['FAILED'], 'node_id': ['node'], 'job_type_id': ['rare']},
        {'status': ['FAILED'], 'node_id': ['node'], 'job_type_id': ['common', 'rare2']},
    ],
)
def test_the_groups_size_the_walk_and_the_fetch(world, filters):
    filters = {name: [world.get(value, value) for value in values] for name, values in filters.items()}
    sql, params = sizes_sql('default', filters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        sizes = GroupSizes.read(cursor.fetchone()[0], filters)

    def rows(*names):
        return JobExecution.objects.filter(
            **{LOOKUPS[name]: filters[name] for name in names if name in filters}
        ).count()

    assert sizes.count == rows(*filters)
    # Along the index that leads with the status and node filtered on, or with the one job type selected.
    one_job_type = len(filters.get('job_type_id', ())) == 1
    assert sizes.walked == min(rows('status', 'node_id'), rows('job_type_id') if one_job_type else rows())
    by_execution = sum(rows(name) for name in ('status', 'node_id') if name in filters) or rows()
    assert sizes.fetched == min(by_execution, rows('job_type_id'))
    assert sizes.job_type_ids == (tuple(sorted(filters['job_type_id'])) if 'job_type_id' in filters else None)


LOOKUPS = {'status': 'status__in', 'node_id': 'node_id__in', 'job_type_id': 'job__job_type_id__in'}


def test_the_walk_is_chosen_while_it_is_expected_to_visit_fewer_rows_than_the_fetch():
    # 1 match in 100 walked rows: the 10th match is 1,000 rows along, against 2,000 rows fetched.
    sizes = GroupSizes(count=100, walked=10_000, fetched=2_000)
    assert not sizes.sorts_matches(10) and not sizes.sorts_matches(20)
    assert sizes.sorts_matches(21)
    assert GroupSizes(count=0, walked=10, fetched=0).sorts_matches(1)


@postgresql_only
@pytest.mark.parametrize(
    'query',
    [
        'job_type_name=rare',
        'status=FAILED&job_type_name=rare&node_id={node}',
        'job_type_category=vector',
        'job_type_name=type-3&job_type_category=raster&order=-job_type__name',
        'job_type_id={common}&job_type_name=type-3',
    ],
)
def test_the_page_filters_on_the_ids_of_the_job_types_the_count_selected(world, api, django_assert_num_queries, query):
    response, sql = page_statement(api, query.format(**world), django_assert_num_queries)
    rare = 'rare' in query or 'vector' in query
    selected = f'{world["rare"]}, {world["rare2"]}' if rare else world['common']
    page_ids = sql[sql.index('(SELECT') :]
    # On each execution's own job type, with no join to the job or its type.
    assert re.search(rf'U0\."job_type_id" IN \({selected}\)', page_ids), page_ids
    assert not re.search(r'"job"\."job_type_id" IN', page_ids) and not re.search(r'"(name|category)" IN', sql), sql
    assert json.loads(response.content)['results'], 'an empty page would prove nothing'


@pytest.mark.parametrize(
    'query',
    [
        'job_type_name=type-1&job_type_category=raster',
        'job_type_id={common}&job_type_id={rare}&job_type_category=raster&status=FAILED',
        'job_type_name=rare&job_type_name=type-2&node_id={node}&page=2&page_size=30',
        'job_type_category=vector&job_type_category=raster&order=job_type__name,-id&page_size=500',
    ],
)
def test_the_page_by_job_type_ids_holds_the_rows_of_the_filters(world, api, query):
    query = query.format(**world)
    answer = api.get(f'/job-executions/?{query}').json()
    filterset = JobExecutionFilterSet(QueryDict(query), queryset=JobExecution.objects.all())
    assert filterset.is_valid()
    page, size = int(filterset.data.get('page', 1)), int(filterset.data.get('page_size', 100))
    expected = list(filterset.qs.values_list('id', flat=True)[(page - 1) * size : page * size])
    assert answer['count'] == filterset.qs.count()
    assert [row['id'] for row in answer['results']] == expected != []


@pytest.mark.parametrize('query', ['job_type_name=none', 'job_type_id={rare}&job_type_category=raster'])
def test_job_type_filters_selecting_no_job_type_answer_an_empty_list(world, api, django_assert_num_queries, query):
    with django_assert_num_queries(1):  # a count of 0 has no page to read
        answer = api.get(f'/job-executions/?{query.format(**world)}').json()
    assert answer['count'] == 0 and answer['results'] == []
