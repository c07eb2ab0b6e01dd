"""Where the database is read (docs/architecture.md, "Reads"), checked by parsing every module of the apps and of
the project package: only the modules of READERS open cursors, reach a model's manager or evaluate a queryset."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ('scale', 'job', 'node', 'error', 'ui')
# Not request code: the suite, the schema's history, and commands that write demo data or recount.
SKIPPED_DIRECTORIES = {'tests', 'migrations', 'management'}

READERS = {
    'job/selectors.py': 'every read of the job endpoints but a list page',
    'scale/pagination.py': "a list page's rows, from the lazy queryset the view filtered (DRF's convention)",
    'job/counts.py': "the per-group counts' own SQL: the count subquery, their triggers for /readyz, the recount",
    'scale/health.py': '/readyz: each database answers and is migrated',
}

MANAGERS = {'objects', '_base_manager', '_default_manager'}
RUNS_SQL = {'cursor', 'execute', 'executemany', 'raw'}
# QuerySet methods that run a query, and values_list, which only the code reading rows needs.
EVALUATES = {
    'values_list',
    'exists',
    'aggregate',
    'iterator',
    'in_bulk',
    'earliest',
    'latest',
    'first',
    'last',
    'explain',
    'get_or_create',
    'update_or_create',
    'bulk_create',
    'bulk_update',
    'select_for_update',
}


def _queryset_call(call):
    """True for QuerySet methods whose names other types share, told apart by their arguments: a list's or a
    string's count takes one, a dict's get a key (a ContextVar's nothing), a dict's values nothing."""
    name = call.func.attr
    positional = bool(call.args)
    return (
        (name == 'count' and not positional and not call.keywords)
        or (name == 'get' and not positional and call.keywords)
        or (name == 'values' and (positional or call.keywords))
        or (name in ('update', 'delete') and not positional)
    )


def _is_declaration(node, parents):
    """`queryset = Model.objects.all()` in a class body: a viewset's lazy queryset, as DRF declares it."""
    statement = parents.get(node)
    while statement is not None and not isinstance(statement, ast.stmt):
        statement = parents.get(statement)
    return (
        isinstance(statement, ast.Assign)
        and isinstance(parents.get(statement), ast.ClassDef)
        and [getattr(target, 'id', None) for target in statement.targets] == ['queryset']
    )


def reads(source):
    """(line, what) for each place `source` reads the database."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS and not _is_declaration(node, parents):
            found.append((node.lineno, f'.{node.attr}'))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in RUNS_SQL or name in EVALUATES or _queryset_call(node):
                found.append((node.lineno, f'.{name}()'))
    return found


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob('*.py')):
            if not SKIPPED_DIRECTORIES & set(path.relative_to(ROOT).parts):
                yield path.relative_to(ROOT).as_posix()


def test_only_the_readers_read_the_database():
    outside = {
        module: found for module in modules() if module not in READERS and (found := reads((ROOT / module).read_text()))
    }
    assert outside == {}, 'Reads belong in job/selectors.py (docs/architecture.md, "Reads")'


def test_every_reader_still_reads():
    """A module that stopped reading leaves the list: the list says where reads are, not where they were."""
    assert {module for module in READERS if reads((ROOT / module).read_text())} == set(READERS)


@pytest.mark.parametrize(
    'source',
    [
        'JobExecution.objects.filter(pk=1)',
        'model._base_manager.filter(pk__in=ids)',
        'queryset.count()',
        'queryset.get(pk=pk)',
        'queryset.exists()',
        "queryset.values('pk')",
        "rows.values_list('id', flat=True)",
        'queryset.update(status=1)',
        'connections[alias].cursor()',
        "cursor.execute('SELECT 1')",
        'def page(self):\n    queryset = JobExecution.objects.all()',
    ],
)
def test_reads_are_found(source):
    assert reads(source)


@pytest.mark.parametrize(
    'source',
    [
        'class Rows:\n    queryset = JobExecution.objects.all()',
        "params.get('tail')",
        'REQUEST_ID.get()',
        "text.count('a')",
        'body.values()',
        'headers.update(other)',
        'queryset.filter(pk=1).order_by("id")',  # building a query, lazily, reads nothing
    ],
)
def test_what_reads_nothing_is_not_found(source):
    assert reads(source) == []
