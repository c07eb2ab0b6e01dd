"""Within a request every read goes to one database; outside requests, reads are spread over the replicas."""

import pytest

from scale.db import routers


@pytest.fixture
def two_reachable_replicas(monkeypatch):
    # The aliases and their reachability are the router's own inputs; real replicas are in test_replica_router.
    monkeypatch.setattr(routers, 'replica_aliases', lambda: ['replica_1', 'replica_2'])
    monkeypatch.setattr(routers, 'is_reachable', lambda alias: True)


def reads_during_one_request(count):
    chosen = []
    middleware = routers.OneDatabasePerRequestMiddleware(
        lambda request: chosen.extend(routers.ReplicaRouter().db_for_read(None) for _ in range(count))
    )
    middleware(request=None)
    return chosen


def test_every_read_of_a_request_uses_the_same_database(two_reachable_replicas):
    for _ in range(20):
        assert len(set(reads_during_one_request(10))) == 1


def test_requests_and_reads_outside_them_are_spread(two_reachable_replicas):
    assert {reads_during_one_request(1)[0] for _ in range(50)} == {'replica_1', 'replica_2'}
    assert {routers.ReplicaRouter().db_for_read(None) for _ in range(50)} == {'replica_1', 'replica_2'}


def test_a_chosen_replica_that_goes_away_is_replaced(monkeypatch):
    monkeypatch.setattr(routers, 'replica_aliases', lambda: ['replica_1'])
    reachable = {'replica_1': True}
    monkeypatch.setattr(routers, 'is_reachable', lambda alias: reachable[alias])

    def request(_):
        first = routers.ReplicaRouter().db_for_read(None)
        reachable['replica_1'] = False
        return first, routers.ReplicaRouter().db_for_read(None)

    assert routers.OneDatabasePerRequestMiddleware(request)(None) == ('replica_1', 'default')
