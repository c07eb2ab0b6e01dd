"""The benchmark's Markdown: machine, command, the table of cases, and the query plans."""

import re

BEGIN, END = '<!-- bench:begin -->', '<!-- bench:end -->'
HEADING = '## Listing and details at 1,000,000 executions'


def milliseconds(seconds):
    return f'{seconds * 1000:.1f}'


def table(rows):
    lines = [
        '| case | status | median ms | p95 ms | SQL statements | bytes | floor median ms (HTTP / in-process) '
        '| ratio to floor |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for row in rows:
        if 'full' in row:
            ratio = f'{row["full"]["median"] / row["median"]:.1f}x cheaper than the full answer'
            floor = '—'
        elif 'floor_median' in row:
            ratio = f'{row["median"] / row["floor_median"]:.2f}' + ('' if row['same_answer'] else ' (answers differ!)')
            floor = f'{milliseconds(row["floor_median"])} / {milliseconds(row["floor_in_process"])}'
        else:
            ratio = floor = '—'
        lines.append(
            f'| {row["case"]} | {row["status"]} | {milliseconds(row["median"])} | {milliseconds(row["p95"])} '
            f'| {row["statements"]} | {row["bytes"]:,} | {floor} | {ratio} |'
        )
    return '\n'.join(lines)


def plans_text(plans):
    parts = []
    for name, path, explained in plans:
        parts.append(f'#### {name}: `{path}`\n')
        for number, plan in enumerate(explained, 1):
            parts.append(f'Statement {number}:\n```\n{plan}\n```')
    return '\n'.join(parts)


def write_cost_text(cost):
    added = (cost['with'] - cost['without']) * 1e6
    return (
        f"Cost to Scale's writes of the change-counting trigger: a single-row `UPDATE` of `job_exe` in "
        f'autocommit took {cost["with"] * 1e6:.0f} µs with it and {cost["without"] * 1e6:.0f} µs with it '
        f'disabled ({added:+.0f} µs per write statement; medians of 5 alternating rounds, '
        f'{cost["statements"]:,} statements each way).'
    )


def markdown(rows, plans, arguments, preparation, machine, write_cost):
    return f"""{BEGIN}
Measured {machine['date']} on {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']} of memory,
PostgreSQL {machine['postgres']} (scripts/with-postgres: default settings, fsync off), Python {machine['python']},
gunicorn as `make serve` runs it (scale/gunicorn.conf.py: gthread) with one worker; the client, gunicorn and
PostgreSQL share the machine.

Command: `scripts/with-postgres .venv/bin/python bench/run.py --executions {arguments.executions}
--requests {arguments.requests}` (`make bench`). {arguments.executions:,} executions generated, migrated and
vacuum-analyzed in {preparation:.0f} s. Latency is the client's, over HTTP on a kept-alive connection (as a polling
browser holds one), {arguments.requests} requests per case after 3 warm-ups. An answer and its floor, and a 304 and
its full answer, are timed alternately, request by request, so both sides of a ratio see the same machine. The floor
(bench/floor.py: one hand-written SQL query, tuples to dicts, `json.dumps`) is served by a second gunicorn with the
same settings (bench/floor_app.py), and also timed in the bench process without HTTP; the ratio is to the HTTP
floor. A floor counts as the service does: lists filtered by nothing or by status and job type sum the per-group
counts (migration job/0005), the time range counts the rows in its range. Every floor's JSON was checked equal to
the service's answer (count and results; details and logs whole). SQL statements are counted in-process on the same
database.

{table(rows)}

{write_cost_text(write_cost)}

### Query plans (`EXPLAIN`, costs off) for the default order, each filter and a keyset page

{plans_text(plans)}
{END}"""


def write_into(path, text):
    """Replace the text between the bench markers under HEADING, creating the file or section if needed."""
    document = path.read_text() if path.exists() else '# Performance\n'
    if BEGIN in document and END in document:
        document = re.sub(re.escape(BEGIN) + '.*?' + re.escape(END), lambda _: text, document, flags=re.S)
    else:
        if HEADING not in document:
            document = document.rstrip('\n') + f'\n\n{HEADING}\n'
        document = document.replace(HEADING, f'{HEADING}\n\n{text}', 1)
    path.write_text(document)
