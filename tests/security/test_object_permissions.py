"""Object-level permissions: a resident, an agent of another county's station and a reviewer of another
county's workstation each try every object of someone else (booking, material, call, case, letter) on
every endpoint and socket. Each gets 404 or 403, learns nothing about the owner, and changes nothing."""
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.factories import client_for, session_cookie
from tests.support.places import unit
from tests.support.security import PNG, build_world, world_state

OUTSIDERS = ["other_resident", "agent_of_other_county", "reviewer_of_other_county"]


def object_requests(world) -> list[tuple[str, str, dict | None]]:
    booking, material, call, case = world.booking, world.material, world.call, world.case
    b, c, k, d = booking.pk, call.pk, case.pk, world.draft_case.pk
    return [
        ("get", f"/api/v1/bookings/{b}/", None),
        ("post", f"/api/v1/bookings/{b}/cancel/", {"reason": "x"}),
        ("post", f"/api/v1/bookings/{b}/reschedule/", {"starts_at": booking.starts_at.isoformat()}),
        ("get", f"/api/v1/bookings/{b}/materials/{material.pk}/file", None),
        ("get", f"/api/v1/calls/{c}/", None),
        ("post", f"/api/v1/calls/{c}/invite/", {"unit_id": unit("371702000").pk}),
        ("post", f"/api/v1/calls/{c}/accept/", {}),
        ("post", f"/api/v1/calls/{c}/decline/", {}),
        ("post", f"/api/v1/calls/{c}/hangup/", {}),
        ("post", f"/api/v1/calls/{c}/case/", {"case_id": d}),
        ("get", f"/api/v1/cases/{k}/", None),
        ("get", f"/api/v1/cases/{d}/", None),
        ("post", f"/api/v1/cases/{d}/submit/", {}),
        ("post", f"/api/v1/cases/{d}/materials/", {"material_id": material.pk}),
        ("post", f"/api/v1/cases/{k}/claim/", {}),
        ("post", f"/api/v1/cases/{k}/release/", {}),
        ("post", f"/api/v1/cases/{k}/decision/", {"decision": "reject", "reason": "试探"}),
        ("get", f"/api/v1/cases/{k}/letter.pdf", None),
        ("get", f"/api/v1/cases/{k}/seal-signature/", None),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_or_403_on_every_endpoint_and_change_nothing(world, who):
    attacker = client_for(world.outsiders[who])
    before = world_state(world)
    secrets_of_owner = [world.resident.phone, world.resident.id_number, world.resident.real_name]
    refused = []
    for method, url, body in object_requests(world):
        response = getattr(attacker, method)(url, body, format="json") if body is not None else attacker.get(url)
        assert response.status_code in (403, 404), f"{who} {method.upper()} {url} -> {response.status_code} " \
                                                    f"{getattr(response, 'content', b'')[:300]!r}"
        content = b"" if response.streaming else response.content
        for secret in secrets_of_owner:
            assert secret.encode() not in content, f"{who} {url} leaks {secret!r}"
        if response.status_code == 404 and ("letter" in url or "seal-signature" in url):
            assert response.json()["code"] != "no_letter", "the letter endpoint told an outsider the case exists"
        refused.append(response.status_code)
    # An upload to someone else's booking.
    upload = attacker.post(f"/api/v1/bookings/{world.booking.pk}/materials/",
                           {"file": _png_upload(), "requirement": ""}, format="multipart")
    assert upload.status_code in (403, 404), upload.content
    assert world_state(world) == before
    assert len(refused) == len(object_requests(world))


def _png_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.png", PNG, content_type="image/png")


@pytest.mark.django_db
def test_owner_and_staff_of_the_unit_do_get_in(world):
    """The sweep above means something only if the same requests succeed for the rightful parties."""
    owner = client_for(world.resident)
    assert owner.get(f"/api/v1/bookings/{world.booking.pk}/").status_code == 200
    assert owner.get(f"/api/v1/bookings/{world.booking.pk}/materials/{world.material.pk}/file").status_code == 200
    letter = owner.get(f"/api/v1/cases/{world.case.pk}/letter.pdf")
    assert letter.status_code == 404 and letter.json()["code"] == "no_letter"  # visible case, no letter yet
    agent = client_for(world.agent)
    assert agent.get(f"/api/v1/calls/{world.call.pk}/").status_code == 200
    assert agent.get(f"/api/v1/cases/{world.draft_case.pk}/").status_code == 200
    assert client_for(world.reviewer).get(f"/api/v1/cases/{world.case.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_lists_do_not_show_other_parties_objects(world, who):
    attacker = client_for(world.outsiders[who])
    for url in ("/api/v1/bookings/", "/api/v1/cases/", "/api/v1/reviews/queue/", "/api/v1/calls/"):
        response = attacker.get(url)
        if response.status_code in (403, 404, 405):
            continue
        assert response.status_code == 200, (url, response.status_code)
        body = response.json()
        rows = body["results"] if isinstance(body, dict) and "results" in body else body
        ids = {str(row.get("id")) for row in rows} if isinstance(rows, list) else set()
        forbidden = {str(world.booking.pk)} if "bookings" in url else (
            {str(world.case.pk), str(world.draft_case.pk)} if "case" in url or "queue" in url else {str(world.call.pk)})
        assert not ids & forbidden, (who, url, ids & forbidden)
        assert world.resident.phone not in response.content.decode()


async def _socket_close_code(path: str, user) -> int | None:
    from config.asgi import application

    cookie = await database_sync_to_async(session_cookie)(user)
    communicator = WebsocketCommunicator(application, path, headers=[
        (b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1"), (b"cookie", cookie.encode())])
    connected, _ = await communicator.connect(timeout=5)
    if not connected:
        return -1
    while True:
        try:
            output = await communicator.receive_output(timeout=3)
        except TimeoutError:
            return None  # still open: the socket let the user in (asgiref cancels the app on the timeout)
        if output["type"] == "websocket.close":
            return output.get("code")
        if json.loads(output.get("text") or "{}").get("type") == "hello":
            await communicator.send_json_to({"type": "join"})


@pytest.mark.django_db(transaction=True)
async def test_outsiders_cannot_enter_the_call_room_or_the_station_console(org, settings, tmp_path,
                                                                        fresh_channel_layer):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEALING_REQUIRED = False
    world = await database_sync_to_async(build_world)()
    station_id = world.booking.unit_id
    for who in OUTSIDERS:
        user = world.outsiders[who]
        room = await _socket_close_code(f"/ws/calls/{world.call.pk}/", user)
        assert room in (4403, 4404, -1), (who, "call room", room)
        console = await _socket_close_code(f"/ws/stations/{station_id}/", user)
        assert console in (4403, 4404, 4401, -1), (who, "station console", console)
    # The owner is let in (and waits in the waiting room): the refusals above are about who, not about how.
    assert await _socket_close_code(f"/ws/calls/{world.call.pk}/", world.resident) is None
