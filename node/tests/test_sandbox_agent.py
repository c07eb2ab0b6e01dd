"""The stand-in agent speaks the file endpoints' protocol over a real sandbox directory."""

import json

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
