"""The stand-in agent speaks the file endpoints' protocol over a real sandbox directory."""

import grp
import json
import os
import pwd

import pytest
import requests

from node.sandbox_agent import MAX_READ_BYTES


@pytest.fixture
def base(sandbox_agent):
    sandbox_agent.write('/task/stdout', b'hello \xe2\x82\xac world\n')
    sandbox_agent.write('/task/big', b'a' * (MAX_READ_BYTES + 10))
    return f'http://{sandbox_agent.host}:{sandbox_agent.port}'


def read(base, **params):
    return requests.get(f'{base}/files/read', params=params, timeout=2)


@pytest.mark.parametrize('endpoint', ['/files/download', '/files/download.json'])
def test_download_answers_the_raw_bytes(base, endpoint):
    response = requests.get(base + endpoint, params={'path': '/task/stdout'}, timeout=2)
    assert response.status_code == 200 and response.content == b'hello \xe2\x82\xac world\n'


def test_read_answers_a_byte_range_with_its_offset(base):
    body = read(base, path='/task/stdout', offset=6, length=3).json()
    assert body == {'data': '\u20ac', 'offset': 6}


def test_read_keeps_bytes_split_mid_character_exact(base):
    raw = read(base, path='/task/stdout', offset=6, length=2).content
    data = json.loads(raw.decode('utf-8', 'surrogateescape'))['data']
    assert data.encode('utf-8', 'surrogateescape') == b'\xe2\x82'


def test_offset_minus_one_answers_the_size(base):
    assert read(base, path='/task/stdout', offset=-1).json() == {'data': '', 'offset': 16}


def test_reading_past_the_end_is_empty(base):
    assert read(base, path='/task/stdout', offset=99, length=5).json() == {'data': '', 'offset': 99}


def test_one_read_is_capped(base):
    assert len(read(base, path='/task/big', offset=0, length=-1).json()['data']) == MAX_READ_BYTES


@pytest.mark.parametrize(
    'params,status',
    [
        ({'path': '/task/missing', 'offset': 0}, 404),
        ({'path': '/task', 'offset': 0}, 400),
        ({'offset': 0}, 400),
        ({'path': '/task/stdout'}, 400),
        ({'path': '/task/stdout', 'offset': 'x'}, 400),
        ({'path': '/../../etc/passwd', 'offset': 0}, 403),
    ],
)
def test_errors_follow_the_agent(base, params, status):
    assert read(base, **params).status_code == status


def test_browse_lists_a_directory(base):
    entries = requests.get(f'{base}/files/browse.json', params={'path': '/task'}, timeout=2).json()
    assert sorted(entry['path'].rsplit('/', 1)[1] for entry in entries) == ['big', 'stdout']


# As Mesos's files endpoints behave (src/files/files.cpp and libprocess), so tests cover what real agents do.


def test_a_body_of_1024_bytes_or_more_is_gzipped_when_the_client_accepts_it(base):
    big = requests.get(f'{base}/files/read', params={'path': '/task/big', 'offset': 0, 'length': 2000}, timeout=2)
    assert big.headers['Content-Encoding'] == 'gzip' and int(big.headers['Content-Length']) < 1024
    assert big.json() == {'data': 'a' * 2000, 'offset': 0}  # requests undoes the gzip
    small = read(base, path='/task/stdout', offset=0, length=5)
    assert 'Content-Encoding' not in small.headers
    plain = requests.get(
        f'{base}/files/read',
        params={'path': '/task/big', 'offset': 0, 'length': 2000},
        headers={'Accept-Encoding': 'identity'},
        timeout=2,
    )
    assert 'Content-Encoding' not in plain.headers and int(plain.headers['Content-Length']) > 2000


@pytest.mark.parametrize('page_size', [4096, 65536])
def test_one_read_is_capped_at_16_pages(start_sandbox_agent, page_size):
    agent = start_sandbox_agent(page_size=page_size)
    agent.write('/task/big', b'a' * (16 * page_size + 10))
    base = f'http://{agent.host}:{agent.port}'
    assert len(read(base, path='/task/big', offset=0, length=-1).json()['data']) == 16 * page_size
    assert len(read(base, path='/task/big', offset=0, length=10**9).json()['data']) == 16 * page_size


@pytest.mark.parametrize('past_end_answers_size, offset_answered', [(False, 99), (True, 16)])
def test_a_read_past_the_end_answers_the_offset_or_as_mesos_1_0_the_size(
    start_sandbox_agent, past_end_answers_size, offset_answered
):
    agent = start_sandbox_agent(past_end_answers_size=past_end_answers_size)
    agent.write('/task/stdout', b'hello \xe2\x82\xac world\n')
    answer = read(f'http://{agent.host}:{agent.port}', path='/task/stdout', offset=99, length=5).json()
    assert answer == {'data': '', 'offset': offset_answered}


@pytest.mark.parametrize(
    'name, content_type',
    [('stdout', 'application/octet-stream'), ('result.json', 'application/json'), ('notes.txt', 'text/plain')],
)
def test_a_download_names_the_file_and_its_type(sandbox_agent, name, content_type):
    sandbox_agent.write(f'/task/{name}', b'{}')
    response = requests.get(
        f'http://{sandbox_agent.host}:{sandbox_agent.port}/files/download', params={'path': f'/task/{name}'}, timeout=2
    )
    assert response.headers['Content-Disposition'] == f'attachment; filename={name}'
    assert response.headers['Content-Type'] == content_type


def test_browse_entries_carry_an_integer_mtime_a_mode_string_and_owner_names(base, sandbox_agent):
    (sandbox_agent.root / 'task' / 'stdout').chmod(0o644)
    entries = requests.get(f'{base}/files/browse', params={'path': '/task'}, timeout=2).json()
    stdout = next(entry for entry in entries if entry['path'].endswith('/stdout'))
    assert type(stdout['mtime']) is int and stdout['mtime'] > 1_700_000_000
    assert stdout['mode'] == '-rw-r--r--' and stdout['size'] == 16 and stdout['nlink'] == 1
    assert (stdout['uid'], stdout['gid']) == (pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name)


def test_an_agent_that_requires_credentials_answers_401_without_them(start_sandbox_agent):
    agent = start_sandbox_agent(credentials=('scale', 's3cret'))
    agent.write('/task/stdout', 'out')
    url = f'http://{agent.host}:{agent.port}/files/read'
    params = {'path': '/task/stdout', 'offset': -1}
    refused = requests.get(url, params=params, timeout=2)
    assert refused.status_code == 401 and refused.headers['WWW-Authenticate'] == 'Basic realm="mesos"'
    assert requests.get(url, params=params, auth=('scale', 'wrong'), timeout=2).status_code == 401
    assert requests.get(url, params=params, auth=('scale', 's3cret'), timeout=2).json() == {'data': '', 'offset': 3}
