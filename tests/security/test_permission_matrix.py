"""The permission matrix, generated from the OpenAPI schema (/api/schema/): every operation that takes an
object id, tried on the security world's objects by every role that is not their party — another resident,
an agent of a neighbouring station and of another county's station, another county's reviewer, a city
department's reviewer, an anonymous visitor — must be refused (401/403/404) and change nothing.

A new operation with an id in its path joins by itself: the matrix fails until OPERATIONS says which object
it is tried on (or PUBLIC says why anyone may read it), so nobody has to remember to add it."""
import json

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import client_for, staff_at
from tests.support.places import unit
from tests.support.security import PNG, world_state

NEIGHBOUR_STATION = "371702002"  # same county as the world's station, not its party
CITY_DEPARTMENT = "371700-D01"
REFUSED = {401, 403, 404}

# "METHOD path" -> the request on the world's objects: (path parameters, JSON body or None).
OPERATIONS = {
    "GET /api/v1/bookings/{id}/": lambda w: ({"id": w.booking.pk}, None),
    "POST /api/v1/bookings/{id}/cancel/": lambda w: ({"id": w.booking.pk}, {"reason": "x"}),
    "POST /api/v1/bookings/{id}/reschedule/": lambda w: ({"id": w.booking.pk},
                                                         {"starts_at": w.booking.starts_at.isoformat()}),
    "POST /api/v1/bookings/{id}/materials/": lambda w: ({"id": w.booking.pk}, "upload"),
    "GET /api/v1/bookings/{id}/materials/{material_id}/file": lambda w: ({"id": w.booking.pk,
                                                                          "material_id": w.material.pk}, None),
    "GET /api/v1/calls/{call_id}/": lambda w: ({"call_id": w.call.pk}, None),
    "POST /api/v1/calls/{call_id}/accept/": lambda w: ({"call_id": w.call.pk}, {}),
    "POST /api/v1/calls/{call_id}/decline/": lambda w: ({"call_id": w.call.pk}, {}),
    "POST /api/v1/calls/{call_id}/hangup/": lambda w: ({"call_id": w.call.pk}, {}),
    "POST /api/v1/calls/{call_id}/invite/": lambda w: ({"call_id": w.call.pk},
                                                       {"unit_id": unit("371702000").pk}),
    "POST /api/v1/calls/{call_id}/case/": lambda w: ({"call_id": w.call.pk}, {"case_id": w.draft_case.pk}),
    "GET /api/v1/cases/{id}/": lambda w: ({"id": w.case.pk}, None),
    "PATCH /api/v1/cases/{id}/": lambda w: ({"id": w.draft_case.pk}, {"form_data": {"destination": "试探"}}),
    "POST /api/v1/cases/{id}/submit/": lambda w: ({"id": w.draft_case.pk}, {}),
    "POST /api/v1/cases/{id}/materials/": lambda w: ({"id": w.draft_case.pk}, {"material_id": w.material.pk}),
    "POST /api/v1/cases/{id}/claim/": lambda w: ({"id": w.case.pk}, {}),
    "POST /api/v1/cases/{id}/release/": lambda w: ({"id": w.case.pk}, {}),
    "POST /api/v1/cases/{id}/decision/": lambda w: ({"id": w.case.pk}, {"decision": "reject", "reason": "试探"}),
    "POST /api/v1/cases/{id}/decision/confirmation/": lambda w: ({"id": w.case.pk}, {"decision": "approve"}),
    "GET /api/v1/cases/{case_id}/letter.pdf": lambda w: ({"case_id": w.case.pk}, None),
    "GET /api/v1/cases/{case_id}/seal-signature/": lambda w: ({"case_id": w.case.pk}, None),
    "GET /api/v1/cases/{case_id}/seal-signature": lambda w: ({"case_id": w.case.pk}, None),
    "GET /api/v1/cases/{case_id}/letter.ofd": lambda w: ({"case_id": w.case.pk}, None),
    "POST /api/v1/cases/{id}/consent/": lambda w: ({"id": w.case.pk}, None),
    "DELETE /api/v1/waitlist/{id}/": lambda w: ({"id": w.waitlist_entry.pk}, None),
}
# Reference data anyone may read: the catalog and the organisation directory with its free slots.
PUBLIC = {"GET /api/v1/catalog/items/{id}/", "GET /api/v1/units/{id}/", "GET /api/v1/units/{id}/slots/"}


def id_taking_operations(schema: dict) -> set[str]:
    return {f"{method.upper()} {path}" for path, operations in schema["paths"].items()
            for method, operation in operations.items()
            if any(parameter["in"] == "path" for parameter in operation.get("parameters", []))}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_every_id_taking_operation_is_in_the_matrix(schema):
    operations = id_taking_operations(schema)
    assert len(operations) >= 20, "the schema lost its object endpoints?"
    missing = operations - OPERATIONS.keys() - PUBLIC
    assert not missing, f"new operations take an object id: say in OPERATIONS which object to try: {sorted(missing)}"
    stale = (OPERATIONS.keys() | PUBLIC) - operations
    assert not stale, f"no longer in the schema: {sorted(stale)}"


def outsiders(world) -> dict:
    return {**world.outsiders,
            "agent_of_neighbour_station": staff_at(unit(NEIGHBOUR_STATION), role=User.Role.AGENT, is_agent=True,
                                                   is_reviewer=True, is_seal_keeper=True),
            "city_department_reviewer": staff_at(unit(CITY_DEPARTMENT), role=User.Role.REVIEWER, is_reviewer=True,
                                                 is_seal_keeper=True),
            "anonymous": None}


def full_state(world) -> dict:
    from bookings.models import WaitlistEntry

    entry = WaitlistEntry.objects.get(pk=world.waitlist_entry.pk)
    return {**world_state(world), "waitlist": entry.status, "case_form": world.draft_case.__class__.objects.get(
        pk=world.draft_case.pk).form_data}


def send(client: APIClient, method: str, path: str, body):
    if body == "upload":
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("scan.png", PNG, content_type="image/png")
        return client.post(path, {"file": upload, "requirement": "id_card"}, format="multipart")
    return client.generic(method, path, "" if body is None else json.dumps(body), content_type="application/json")


@pytest.fixture
def matrix_world(world):
    from bookings.models import WaitlistEntry

    world.waitlist_entry = WaitlistEntry.objects.create(unit=world.booking.unit, item=world.booking.item,
                                                        date=world.booking.starts_at.date(), resident=world.resident)
    return world


@pytest.mark.django_db
def test_no_outsider_gets_any_object_and_nothing_changes(schema, matrix_world):
    world = matrix_world
    secrets = [world.resident.phone, world.resident.id_number, world.resident.real_name]
    before = full_state(world)
    failures, tried = [], 0
    for role, user in outsiders(world).items():
        client = client_for(user) if user else APIClient()
        for operation in sorted(id_taking_operations(schema) - PUBLIC):
            method, template = operation.split(" ", 1)
            parameters, body = OPERATIONS[operation](world)
            path = template.format(**parameters)
            response = send(client, method, path, body)
            tried += 1
            content = b"" if response.streaming else response.content
            if response.status_code not in REFUSED:
                failures.append(f"{role}: {operation} -> {response.status_code} {content[:200]!r}")
            elif any(secret.encode() in content for secret in secrets):
                failures.append(f"{role}: {operation} refused but names the resident")
    assert not failures, "\n".join(failures)
    assert full_state(world) == before
    assert tried == 6 * len(id_taking_operations(schema) - PUBLIC)


@pytest.mark.django_db
def test_the_rightful_parties_do_get_in(schema, matrix_world):
    """The refusals mean something only if the same requests work for the object's own parties."""
    world = matrix_world
    owner, agent, reviewer = client_for(world.resident), client_for(world.agent), client_for(world.reviewer)
    checks = [(owner, "GET /api/v1/bookings/{id}/"), (owner, "GET /api/v1/bookings/{id}/materials/{material_id}/file"),
              (owner, "GET /api/v1/cases/{id}/"), (agent, "GET /api/v1/calls/{call_id}/"),
              (reviewer, "GET /api/v1/cases/{id}/")]
    for client, operation in checks:
        method, template = operation.split(" ", 1)
        parameters, body = OPERATIONS[operation](world)
        response = send(client, method, template.format(**parameters), body)
        assert response.status_code == 200, (operation, response.status_code)
    parameters, body = OPERATIONS["PATCH /api/v1/cases/{id}/"](world)
    edit = send(agent, "PATCH", f"/api/v1/cases/{parameters['id']}/", body)
    assert edit.status_code not in REFUSED, edit.content  # past the permission check (the field is unknown)
    response = send(owner, "DELETE", f"/api/v1/waitlist/{world.waitlist_entry.pk}/", None)
    assert response.status_code in (200, 204)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent_of_other_county", "agent_of_neighbour_station"])
def test_a_foreign_agent_cannot_reach_a_residents_materials_through_a_walk_in_case(matrix_world, who):
    """The hole the outside test found: open a walk-in case for any resident, attach her materials, read them."""
    world = matrix_world
    agent_user = outsiders(world)[who]
    agent = client_for(agent_user)
    created = agent.post("/api/v1/cases/", {"resident_phone": world.resident.phone,
                                            "item_id": world.booking.item_id}, format="json")
    if created.status_code == 201:
        assert world.resident.real_name not in created.content.decode()
        case_id = created.json()["id"]
        attached = agent.post(f"/api/v1/cases/{case_id}/materials/", {"material_id": world.material.pk},
                              format="json")
        assert attached.status_code in REFUSED | {400}
    read = agent.get(f"/api/v1/bookings/{world.booking.pk}/materials/{world.material.pk}/file")
    assert read.status_code in REFUSED
