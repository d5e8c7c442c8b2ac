"""The read replica (DATABASE_REPLICA_URL): directory reads go to it, it refuses writes, /readyz watches it.

CI points DATABASE_REPLICA_URL at the primary's database through a second, read-only connection (the test
database's mirror): the routing and the read-only guard are real, the replication lag is not."""
import pytest
from django.db import DatabaseError, connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from stations import selectors
from stations.models import Division
from tests.factories import StaffFactory, client_for

pytestmark = [
    pytest.mark.skipif("replica" not in connections.settings, reason="DATABASE_REPLICA_URL is not set"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


@pytest.fixture
def on_replica(settings, org):
    settings.READ_REPLICA_ALIAS = "replica"


def test_directory_reads_go_to_the_replica_and_see_committed_rows(on_replica, api):
    with CaptureQueriesContext(connections["replica"]) as on_replica_side, \
            CaptureQueriesContext(connections["default"]) as on_primary_side:
        response = api.get("/api/v1/units/", {"kind": "county_workstation"})
    assert response.status_code == 200
    workstations = response.json()["results"] if isinstance(response.json(), dict) else response.json()
    assert len(workstations) == 11
    assert any("stations_unit" in q["sql"] for q in on_replica_side.captured_queries)
    assert not any("stations_unit" in q["sql"] for q in on_primary_side.captured_queries)


def test_the_replica_connection_refuses_writes(on_replica):
    if connections["replica"].vendor != "postgresql":
        pytest.skip("the read-only guard is a PostgreSQL session setting")
    county = selectors.division_list(level="county").first()
    with pytest.raises(DatabaseError, match="read-only"), transaction.atomic(using="replica"):
        Division.objects.using("replica").filter(pk=county.pk).update(name="改写")
    assert Division.objects.get(pk=county.pk).name == county.name


def test_readyz_reports_the_replica(on_replica, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database_replica"] == "ok"


def test_the_bureaus_statistics_read_from_the_replica(on_replica):
    admin = StaffFactory(role=User.Role.ADMINISTRATOR)
    with CaptureQueriesContext(connections["replica"]) as on_replica_side:
        response = client_for(admin).get("/api/v1/stats/")
    assert response.status_code == 200, response.content
    assert {"by_item", "by_unit", "by_county"} <= set(response.json())
    assert any("reviews_case" in q["sql"] for q in on_replica_side.captured_queries)
