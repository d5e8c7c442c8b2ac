"""An outsider's request on someone's booking or case is refused as "not found" whatever its body: the object is
checked before the input (each view's one service looks it up again, so the order is the permission's). The
object's own parties, sending the same bad body, get the input's 400: the 404 is about the object."""
import pytest

from tests.factories import client_for

pytestmark = pytest.mark.django_db

TOO_LONG_REASON = {"reason": "x" * 201}


def bad_requests(world) -> list[tuple[str, str, str, dict]]:
    """(party, method, path, a body its serializer refuses)."""
    b, d, k = world.booking.pk, world.draft_case.pk, world.case.pk
    return [
        ("resident", "post", f"/api/v1/bookings/{b}/cancel/", TOO_LONG_REASON),
        ("resident", "post", f"/api/v1/bookings/{b}/reschedule/", {"starts_at": "soon"}),
        ("agent", "patch", f"/api/v1/cases/{d}/", {"form_data": "not an object"}),
        ("agent", "post", f"/api/v1/cases/{d}/materials/", {"material_id": "one"}),
        ("reviewer", "post", f"/api/v1/cases/{k}/decision/", {"decision": "maybe"}),
        ("reviewer", "post", f"/api/v1/cases/{k}/decision/confirmation/", {"decision": "request_more"}),
    ]


NOT_FOUND = {"bookings": ("booking_not_found", "找不到该预约。", "Booking not found."),
             "cases": ("not_found", "找不到该案件。", "Case not found.")}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_outsider_gets_not_found_before_the_body_is_checked(world, language):
    outsider = client_for(world.outsiders["reviewer_of_other_county"])  # staff: past the role checks
    for _party, method, path, body in bad_requests(world):
        response = getattr(outsider, method)(path, body, format="json", HTTP_ACCEPT_LANGUAGE=language)
        code, chinese, english = NOT_FOUND[path.split("/")[3]]
        assert response.status_code == 404, (path, response.json())
        assert response.json() == {"code": code, "detail": chinese if language == "zh-hans" else english}, path


def test_the_parties_get_the_input_refusal_for_the_same_bodies(world):
    for party, method, path, body in bad_requests(world):
        response = getattr(client_for(getattr(world, party)), method)(path, body, format="json")
        assert response.status_code == 400, (path, response.json())
        assert response.json()["code"] == "invalid" and response.json()["fields"], path


def test_an_outsiders_upload_with_a_blank_requirement_is_not_found(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.support.security import PNG

    def upload(user):
        return client_for(user).post(f"/api/v1/bookings/{world.booking.pk}/materials/",
                                     {"file": SimpleUploadedFile("scan.png", PNG, content_type="image/png"),
                                      "requirement": ""}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")

    refused = upload(world.outsiders["other_resident"])
    assert refused.status_code == 404
    assert refused.json() == {"code": "booking_not_found", "detail": "Booking not found."}
    own = upload(world.resident)
    assert own.status_code == 400 and "requirement" in own.json()["fields"]
