"""Set-based generation of a Scale-like database: job types, nodes, errors, jobs and N executions with logs.

Every large table is filled by one INSERT ... SELECT generate_series, so a million executions take minutes, not hours.
"""

import time

from django.db import connection

from job import counts

# Executions are spread over a year ending at this instant; the newest ones are still queued or running.
END = "timestamptz '2026-11-01 00:00:00+00'"
SPAN_SECONDS = 365 * 24 * 3600

SMALL_TABLES = f"""
INSERT INTO error (id, name, title, description, category, created, last_modified)
SELECT i, 'error-' || i, 'Error ' || i, 'Something went wrong (' || i || ')',
       (ARRAY['SYSTEM', 'ALGORITHM', 'DATA'])[1 + i % 3], {END} - interval '400 days', {END} - interval '400 days'
FROM generate_series(1, 30) AS i;

INSERT INTO node (id, hostname, port, slave_id, pause_reason, is_paused, is_paused_errors, is_active,
                  created, archived, last_offer, last_modified)
SELECT i, 'node' || i || '.cluster.example.com', 5051, '20150821-123454-1683014024-5050-8216-S' || i,
       NULL, false, false, true, {END} - interval '400 days', NULL, NULL, {END} - interval '400 days'
FROM generate_series(1, 40) AS i;

INSERT INTO trigger_rule (id, type, name, configuration, is_active, created, archived, last_modified)
SELECT i, 'PARSE', 'rule-' || i, '{{}}', true, {END} - interval '400 days', NULL, {END} - interval '400 days'
FROM generate_series(1, 5) AS i;

INSERT INTO job_type (id, name, version, title, description, category, author_name, author_url, is_system,
                      is_long_running, is_active, is_operational, is_paused, requires_cleanup, uses_docker,
                      docker_privileged, docker_image, interface, docker_params, revision_num, error_mapping,
                      trigger_rule_id, priority, max_scheduled, timeout, max_tries, cpus_required, mem_required,
                      disk_out_const_required, disk_out_mult_required, icon_code, created, archived, paused,
                      last_modified)
SELECT i, 'type-' || ((i - 1) / 2 + 1), (1 + (i - 1) % 2) || '.0', 'Type ' || i, 'Processes things of kind ' || i,
       (ARRAY['raster', 'vector', 'system', NULL])[1 + i % 4], 'Someone', NULL, i % 4 = 2, false, true, true,
       false, true, true, false, 'scale/type-' || i, '{{"version": "1.0", "command": "run"}}', NULL, 1, '{{}}',
       NULL, 100, NULL, 1800, 3, 1.0, 64.0, 64.0, 0.0, 'f013', {END} - interval '400 days', NULL, NULL,
       {END} - interval '400 days'
FROM generate_series(1, 24) AS i;

INSERT INTO job_type_revision (id, job_type_id, revision_num, interface, created)
SELECT i, i, 1, '{{}}', {END} - interval '400 days' FROM generate_series(1, 24) AS i;
"""

# The job type of job `id`: drawn by a hash, so executions carry their job's type without a join.
JOB_TYPE = '1 + (hashint4({id})::bigint + 2147483648) %% 24'

# One job per execution, except that one in ten jobs was retried once (two executions); types drawn by a hash.
EVENTS = f"""
INSERT INTO trigger_event (id, type, rule_id, description, occurred)
SELECT i, 'STRIKE_TRANSFER', 1 + i %% 5, '{{}}', {END} - (i || ' seconds')::interval
FROM generate_series(1, %(events)s) AS i;
"""

JOBS = f"""
INSERT INTO job (id, job_type_id, job_type_rev_id, status, event_id, error_id, data, results, docker_params,
                 priority, timeout, max_tries, num_exes, cpus_required, mem_required, disk_in_required,
                 disk_out_required, is_superseded, root_superseded_job_id, superseded_job_id, delete_superseded,
                 created, queued, started, ended, last_status_change, superseded, last_modified)
SELECT i, type_id, type_id, 'COMPLETED', 1 + i %% %(events)s, CASE WHEN i %% 10 = 3 THEN 1 + i %% 30 END,
       '{{}}', '{{}}', NULL, 100, 1800, 3, 1 + (i %% 10 = 0)::int, 1.0, 64.0, 10.0, 5.0, false, NULL, NULL, true,
       t, t, t + interval '3 seconds', t + interval '60 seconds', t + interval '60 seconds', NULL,
       t + interval '61 seconds'
FROM (SELECT i, {JOB_TYPE.format(id='i')} AS type_id,
             {END} - ((%(jobs)s - i) * {SPAN_SECONDS}.0 / %(jobs)s || ' seconds')::interval AS t
      FROM generate_series(1, %(jobs)s) AS i) AS jobs;
"""

# The newest executions are queued or running; older ones finished, 5% failed and 2% canceled, drawn by a hash of
# the id so that status, job type and node are not correlated (a real mix, not a pattern the planner could luck into).
EXECUTIONS = f"""
INSERT INTO job_exe (id, job_id, job_type_id, status, error_id, command_arguments, timeout, docker_params, node_id,
                     environment, cpus_scheduled, mem_scheduled, disk_in_scheduled, disk_out_scheduled,
                     disk_total_scheduled, requires_cleanup, cleanup_job_id, pre_task_id, pre_started,
                     pre_completed, pre_exit_code, job_task_id, job_started, job_completed, job_exit_code,
                     job_metrics, post_task_id, post_started, post_completed, post_exit_code, stdout, stderr,
                     current_stdout_url, current_stderr_url, results_manifest, results, created, queued, started,
                     ended, cleaned_up, last_modified)
SELECT i, job_id, {JOB_TYPE.format(id='job_id')}, status, CASE WHEN status = 'FAILED' THEN 1 + i %% 30 END,
       '--input /data/in-' || i || '.tif',
       1800, NULL, CASE WHEN status <> 'QUEUED' THEN 1 + i %% 40 END, '{{"version": "1.0"}}', 1.0, 64.0, 10.0, 5.0,
       15.0, false, NULL,
       CASE WHEN has_run THEN 'task-' || i || '-pre' END, CASE WHEN has_run THEN t + interval '1 second' END,
       CASE WHEN has_run THEN t + interval '2 seconds' END, CASE WHEN has_run THEN 0 END,
       CASE WHEN has_run THEN 'task-' || i || '-job' END, CASE WHEN has_run THEN t + interval '3 seconds' END,
       CASE WHEN finished THEN t + interval '50 seconds' END,
       CASE WHEN status = 'FAILED' THEN 1 WHEN finished THEN 0 END,
       NULL, CASE WHEN finished THEN 'task-' || i || '-post' END,
       CASE WHEN finished THEN t + interval '51 seconds' END, CASE WHEN finished THEN t + interval '55 seconds' END,
       CASE WHEN finished THEN 0 END,
       CASE WHEN finished THEN repeat('Processing tile ' || i || ' of the input, step ok' || chr(10), 1 + i %% 12) END,
       CASE WHEN finished THEN CASE WHEN status = 'FAILED' THEN 'Traceback: tile ' || i || ' is corrupt' ELSE '' END END,
       NULL, NULL, '{{}}', '{{"version": "1.0", "output_data": []}}',
       t, t, CASE WHEN has_run THEN t + interval '3 seconds' END, CASE WHEN finished THEN t + interval '60 seconds' END,
       NULL, t + CASE WHEN finished THEN interval '60 seconds' WHEN has_run THEN interval '3 seconds' ELSE interval '0' END
FROM (
    SELECT i, job_id, t, status, status <> 'QUEUED' AS has_run, status IN ('FAILED', 'COMPLETED', 'CANCELED') AS finished
    FROM (
        SELECT i, job_id, t,
               CASE WHEN i > %(n)s - 200 THEN 'QUEUED'
                    WHEN i > %(n)s - 400 THEN 'RUNNING'
                    WHEN draw < 50 THEN 'FAILED'
                    WHEN draw < 70 THEN 'CANCELED'
                    WHEN draw = 999 THEN 'RUNNING'
                    ELSE 'COMPLETED' END AS status
        FROM (
            SELECT i, 1 + (i - 1) %% %(jobs)s AS job_id, (hashint4(i * 31 + 17)::bigint + 2147483648) %% 1000 AS draw,
                   {END} - ((%(n)s - i) * {SPAN_SECONDS}.0 / %(n)s || ' seconds')::interval AS t
            FROM generate_series(1, %(n)s) AS i
        ) AS drawn
    ) AS numbered
) AS executions;
"""

SEQUENCES = ['error', 'node', 'trigger_rule', 'trigger_event', 'job_type', 'job_type_revision', 'job', 'job_exe']


def generate(executions):
    """Fill an empty, migrated PostgreSQL database with `executions` executions and everything they refer to.

    Written as a restore writes (triggers and foreign key checks off, `session_replication_role = replica`; the
    rows are consistent by construction, each execution with its job's type), then checked and counted per group
    as `manage.py recount_executions` does after a restore: at ten million rows the insert trigger's transition
    table would copy the whole table once more. Returns the seconds the recount took.
    """
    jobs = max(1, executions * 10 // 11)
    params = {'n': executions, 'jobs': jobs, 'events': max(1, jobs // 10)}
    with connection.cursor() as cursor:
        cursor.execute('SET session_replication_role = replica')
        cursor.execute(SMALL_TABLES)
        for statement in (EVENTS, JOBS, EXECUTIONS):
            cursor.execute(statement, params)
        cursor.execute('SET session_replication_role = DEFAULT')
        for table in SEQUENCES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        started = time.monotonic()
    counts.recount(connection.alias)
    return time.monotonic() - started


def analyze(attempts=10):
    """Statistics and an up-to-date visibility map, as autovacuum would leave a table that has settled.

    Returns the share of job_exe pages marked all-visible, which index-only scans (the count) depend on. A
    concurrent autovacuum or analyze can hold back the horizon that marks pages, so this repeats until it took.
    """
    for _ in range(attempts):
        connection.close()  # a fresh session holds no snapshot of its own
        with connection.cursor() as cursor:
            cursor.execute('VACUUM (FREEZE, ANALYZE)')
            cursor.execute(
                "SELECT relallvisible::float / greatest(relpages, 1) FROM pg_class WHERE relname = 'job_exe'"
            )
            visible = cursor.fetchone()[0]
        if visible > 0.99:
            break
        time.sleep(2)
    return visible
