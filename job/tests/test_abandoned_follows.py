"""Follows whose clients hung up give their slots back within a few polls, under the production server.

A follow past the end of a running execution has nothing to write, so a hang-up is never met by a write: the
server must notice it while waiting. Real gunicorn, real sockets; the test waits for events (a 200, a 503, the
bytes of the log), each with a generous limit, never for a fixed time.
"""

import socket
import time

import pytest
import requests

from scale.tests.processes import run_django

POLL = 0.2
STORED = 'so far\n'


@pytest.fixture
def server(start_gunicorn, tmp_path):
    database_url = f'sqlite:///{tmp_path / "follows.sqlite3"}'
    run_django(database_url, 'migrate', '--noinput')
    execution_id = int(
        run_django(
            database_url,
            code=(
                'from job.tests.factories import make_execution\n'
                f'print(make_execution(status="RUNNING", ended=None, node=None, stdout={STORED!r}).id)'
            ),
        )
    )
    base = start_gunicorn(
        DATABASE_URL=database_url,
        GUNICORN_THREADS='6',
        LOGS_FOLLOW_MAX_CONCURRENT='2',
        LOGS_FOLLOW_MAX_PER_CLIENT='2',
        LOGS_FOLLOW_POLL_SECONDS=str(POLL),
        LOGS_FOLLOW_MAX_SECONDS='120',
        LOGS_THROTTLE_RATE='100000/min',
    )
    return base, database_url, execution_id


def open_follow(base, execution_id, offset):
    """A follow on a raw socket, returned once its status line and headers arrived."""
    host, port = base.removeprefix('http://').split(':')
    client = socket.create_connection((host, int(port)), timeout=10)
    client.sendall(
        f'GET /job-executions/{execution_id}/logs/stdout/?follow=true&offset={offset} HTTP/1.1\r\n'
        f'Host: {host}\r\n\r\n'.encode()
    )
    head = b''
    while b'\r\n\r\n' not in head:
        piece = client.recv(4096)
        assert piece, 'the server closed the follow before answering'
        head += piece
    head, _, body = head.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 200'), head
    return client, body


def follow_status(base, execution_id):
    with requests.get(
        f'{base}/job-executions/{execution_id}/logs/stdout/',
        params={'follow': 'true', 'offset': 10**6},
        stream=True,
        timeout=10,
    ) as response:
        return response.status_code


def test_clients_that_hang_up_while_nothing_is_written_free_their_slots(server):
    base, database_url, execution_id = server
    abandoned = [open_follow(base, execution_id, 10**6)[0] for _ in range(2)]
    assert follow_status(base, execution_id) == 503  # both slots are held
    for client in abandoned:
        client.close()
    # Each follow notices its hang-up at its next wait; allow many polls on a busy machine, far below the
    # 120 s a follow may last, which is when the slots would come back otherwise.
    give_up_at = time.monotonic() + 60 * POLL * 5
    statuses = []
    while time.monotonic() < give_up_at and statuses[-1:] != [200]:
        statuses.append(follow_status(base, execution_id))
    assert statuses[-1] == 200, f'slots still held after {len(statuses)} tries'


def test_a_client_that_stays_gets_only_log_bytes_and_keeps_its_slot(server):
    base, database_url, execution_id = server
    staying, body = open_follow(base, execution_id, len(STORED))
    with staying:
        other, _ = open_follow(base, execution_id, 10**6)
        with other:
            staying.settimeout(5 * POLL)  # several polls: a keep-alive byte would arrive meanwhile
            with pytest.raises(socket.timeout):
                body += staying.recv(4096)
            assert body == b''
            assert follow_status(base, execution_id) == 503  # both still held: neither was taken for gone
            run_django(
                database_url,
                code=(
                    'from job.models import JobExecution\n'
                    f'JobExecution.objects.filter(pk={execution_id}).update(stdout={STORED + "more" + chr(10)!r})'
                ),
            )
            staying.settimeout(30)
            while b'more\n' not in body:
                piece = staying.recv(4096)
                assert piece, 'the follow ended'
                body += piece
            assert body == b'5\r\nmore\n\r\n'  # one chunk holding exactly the new log bytes
