"""Sealing a decision: the record, the step-up code, the seal, the keeper list, the delegation, revocation, rotation."""
import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from core.errors import ServiceError
from signing.models import ConfirmationCode, LedgerEntry, SealedDecision
from signing.selectors import letter_verify
from signing.services import (
    confirmation_issue,
    decision_record_ledger,
    decision_seal,
    delegation_grant,
    seal_issue,
    seal_keeper_remove,
    seal_revoke,
    seal_rotate,
)
from stations.models import Unit
from tests.factories import ResidentFactory, staff_at

pytestmark = pytest.mark.django_db


def _failed(exc_info, code):
    assert exc_info.value.code == code, (exc_info.value.code, exc_info.value.detail)
    return str(exc_info.value.detail)


def test_record_has_keyed_hash_and_masked_forms_never_the_id_number(make_record, workstation, keeper, settings):
    resident = ResidentFactory()
    from signing.services import approval_record_build

    record = approval_record_build(
        case_id=7, item_code="X1", item_name="事项", decision="approve", reason="", reviewer=keeper,
        unit=workstation, materials=[{"name": "a", "sha256": "F" * 64}], resident_id_number=resident.id_number,
        resident_name=resident.real_name, decided_at=timezone.now())
    text = json.dumps(record, ensure_ascii=False)
    assert resident.id_number not in text and resident.real_name not in text
    assert record["resident"]["id_masked"] == resident.masked_id_number
    assert len(record["resident"]["id_hmac"]) == 64
    assert record["materials"] == [{"name": "a", "sha256": "f" * 64}]
    settings.ID_HASH_KEY = "another key"
    again = approval_record_build(
        case_id=7, item_code="X1", item_name="事项", decision="approve", reason="", reviewer=keeper,
        unit=workstation, materials=[], resident_id_number=resident.id_number, resident_name=resident.real_name,
        decided_at=timezone.now())
    assert again["resident"]["id_hmac"] != record["resident"]["id_hmac"]


def test_sealing_signs_renders_and_appends_to_the_ledger(sealed, keeper):
    assert sealed.letter_pdf[:5] == b"%PDF-"
    entry = sealed.ledger_entry
    assert entry.kind == LedgerEntry.Kind.APPROVAL
    assert entry.payload["record_sha256"] == sealed.record_hash
    assert entry.payload["letter_sha256"] == sealed.letter_sha256
    assert entry.payload["sealed_by"] == keeper.pk
    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    assert result["valid"], result["checks"]
    assert [c["name"] for c in result["checks"]] == ["intact", "chain", "certificate", "seal_signature", "signer",
                                                      "ledger"]
    assert result["decision"]["verification_code"] == sealed.verification_code


def test_confirmation_code_goes_by_sms_and_is_stored_hashed(seal, workstation, make_record, sms_outbox,
                                                            django_capture_on_commit_callbacks):
    keeper = staff_at(workstation, role=User.Role.REVIEWER, is_seal_keeper=True)
    keeper.phone = "13700001111"
    keeper.save()
    record = make_record(unit=workstation, reviewer=keeper)
    with django_capture_on_commit_callbacks(execute=True):
        code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    assert len(code) == 6 and code.isdigit()
    assert sms_outbox[-1]["phone"] == "13700001111" and code in sms_outbox[-1]["message"]
    row = ConfirmationCode.objects.get(user=keeper)
    assert code not in row.code_hash and row.expires_at <= timezone.now() + datetime.timedelta(minutes=5)


def test_wrong_code_is_refused(seal, workstation, keeper, make_record):
    record = make_record(unit=workstation, reviewer=keeper)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=f"{(int(code) + 7) % 10**6:06d}")
    assert "不正确" in _failed(exc, "confirmation_invalid")
    assert ConfirmationCode.objects.get(user=keeper).failed_attempts == 1
    assert not SealedDecision.objects.exists()


def test_replayed_code_reports_used(seal, workstation, keeper, make_record):
    record = make_record(unit=workstation, reviewer=keeper)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
    assert "已使用" in _failed(exc, "confirmation_used")


def test_foreign_code_is_refused(seal, workstation, keeper, make_record):
    other = staff_at(workstation, role=User.Role.REVIEWER, is_seal_keeper=True)
    record = make_record(unit=workstation, reviewer=keeper)
    code_for_other = confirmation_issue(user=other, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code_for_other)
    assert exc.value.status_code == 403
    assert "不是发给您的" in _failed(exc, "confirmation_foreign")
    assert not SealedDecision.objects.exists()


def test_code_bound_to_the_record_hash_and_the_case(seal, workstation, keeper, make_record):
    record = make_record(unit=workstation, reviewer=keeper)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    changed = {**record, "reason": "改了理由"}
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=changed, unit=workstation, user=keeper, confirmation_code=code)
    _failed(exc, "confirmation_stale")
    other_case = make_record(unit=workstation, reviewer=keeper)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=other_case, unit=workstation, user=keeper, confirmation_code=code)
    _failed(exc, "confirmation_invalid")


def test_expired_code_and_too_many_attempts(seal, workstation, keeper, make_record):
    record = make_record(unit=workstation, reviewer=keeper)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=6)):
        with pytest.raises(ServiceError) as exc:
            decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
        _failed(exc, "confirmation_expired")
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(ServiceError):
            decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=wrong)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
    _failed(exc, "confirmation_locked")


def test_signer_not_on_the_seals_list_is_refused(seal, workstation, keeper, make_record):
    outsider = staff_at(workstation, role=User.Role.REVIEWER, is_reviewer=True, is_seal_keeper=True)
    record = make_record(unit=workstation, reviewer=outsider)
    code = confirmation_issue(user=outsider, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=outsider, confirmation_code=code)
    assert "授权用印人员名单" in _failed(exc, "not_seal_keeper")
    # On the list but the unit no longer counts them as a seal keeper: refused too.
    keeper.memberships.filter(unit=workstation).update(is_seal_keeper=False)
    record = make_record(unit=workstation, reviewer=keeper)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
    _failed(exc, "not_seal_keeper")
    assert not ConfirmationCode.objects.filter(user=keeper, used_at__isnull=False,
                                               case_id=record["case_id"]).exists()  # not consumed


def test_township_station_seals_within_its_delegation(station_seal, station, station_keeper, make_record,
                                                      township_item, seal_decision):
    record = make_record(unit=station, reviewer=station_keeper, item=township_item)
    assert record["delegation"]["serial"].startswith("DEL-")
    sealed = seal_decision(record=record, unit=station, user=station_keeper)
    assert sealed.delegation.serial == record["delegation"]["serial"]
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]


def test_expired_delegation_is_refused(ca, station, station_keeper, township_item, make_record):
    from signing.models import Delegation

    seal_issue(unit=station, keepers=[station_keeper])
    delegation = delegation_grant(unit=station, item_codes=[township_item.code],
                                  valid_until=timezone.now() + datetime.timedelta(days=1))
    record = make_record(unit=station, reviewer=station_keeper, item=township_item, delegation=delegation)
    code = confirmation_issue(user=station_keeper, case_id=record["case_id"], record=record)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        code = confirmation_issue(user=station_keeper, case_id=record["case_id"], record=record)
        with pytest.raises(ServiceError) as exc:
            decision_seal(record=record, unit=station, user=station_keeper, confirmation_code=code)
        assert "过期" in _failed(exc, "delegation_invalid")
    assert Delegation.objects.count() == 1


def test_item_outside_the_delegation_is_refused(station_seal, station, station_keeper, make_record):
    from bookings.models import ServiceItem

    item = ServiceItem.objects.filter(approval_level="county").first()
    record = make_record(unit=station, reviewer=station_keeper, item=item)
    assert record["delegation"] is None
    code = confirmation_issue(user=station_keeper, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=station, user=station_keeper, confirmation_code=code)
    _failed(exc, "delegation_invalid")


def test_revoked_seal_cannot_seal_but_earlier_letters_still_verify(sealed, seal, workstation, keeper, make_record):
    seal_revoke(seal=seal, reason="密钥泄露")
    record = make_record(unit=workstation, reviewer=keeper)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
    assert "吊销" in _failed(exc, "seal_revoked")
    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    assert result["valid"], result["checks"]
    certificate = next(c for c in result["checks"] if c["name"] == "certificate")
    assert "吊销" in certificate["detail"]
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.SEAL_REVOKED, subject=seal.serial).exists()
    assert seal.ca.crl_pem.count("BEGIN X509 CRL") == 1


def test_letter_sealed_after_the_revocation_time_is_reported(sealed, seal):
    # The seal was compromised before this letter was sealed: the letter is reported revoked at signing time.
    seal_revoke(seal=seal, reason="密钥泄露", at=sealed.sealed_at - datetime.timedelta(minutes=1))
    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    assert not result["valid"]
    certificate = next(c for c in result["checks"] if c["name"] == "certificate")
    assert not certificate["ok"] and "已被吊销" in certificate["detail"]


def test_expired_certificate_cannot_seal(ca, workstation, keeper, make_record):
    past = timezone.now() - datetime.timedelta(days=30)
    seal_issue(unit=workstation, keepers=[keeper], valid_from=past - datetime.timedelta(days=30), valid_until=past)
    record = make_record(unit=workstation, reviewer=keeper)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
    assert "有效期" in _failed(exc, "seal_expired")


def test_rotation_keeps_old_letters_valid_and_the_new_seal_works(sealed, seal, workstation, keeper, make_record,
                                                                 seal_decision):
    new = seal_rotate(unit=workstation)
    assert new.serial != seal.serial and new.cert_fingerprint != seal.cert_fingerprint
    assert list(new.keepers.values_list("user", flat=True)) == [keeper.pk]
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]
    later = seal_decision(record=make_record(unit=workstation, reviewer=keeper), unit=workstation, user=keeper)
    assert later.seal == new
    assert letter_verify(pdf=bytes(later.letter_pdf))["valid"]


def test_keeper_removed_later_still_verifies_for_earlier_letters(sealed, seal, keeper):
    seal_keeper_remove(seal=seal, user=keeper)
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]


def test_rejection_is_sealed_or_recorded(seal, workstation, keeper, make_record, seal_decision):
    record = make_record(unit=workstation, reviewer=keeper, decision="reject")
    entry = decision_record_ledger(record=record, unit=workstation, user=keeper)
    assert entry.kind == LedgerEntry.Kind.REJECTION and entry.payload["case_id"] == record["case_id"]
    sealed = seal_decision(record=make_record(unit=workstation, reviewer=keeper, decision="reject"),
                           unit=workstation, user=keeper)
    assert sealed.ledger_entry.kind == LedgerEntry.Kind.REJECTION
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]


def test_a_case_is_sealed_once(sealed, workstation, keeper, make_record):
    record = make_record(unit=workstation, reviewer=keeper, case_id=sealed.case_id)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
    assert exc.value.status_code == 409


def test_sealing_read_matches_the_orm(sealed, seal, workstation, keeper, make_record):
    """seal_for_sealing: the same seal, CA and unit as a plain read, and the right flags."""
    from signing.models import Seal
    from signing.selectors import seal_for_sealing

    now = timezone.now()
    active = seal_for_sealing(unit=workstation, user=keeper, case_id=sealed.case_id, at=now)
    expected = Seal.objects.select_related("ca", "unit").get(pk=seal.pk)
    for got, want in ((active, expected), (active.ca, expected.ca), (active.unit, expected.unit)):
        for field in type(want)._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
    assert (active.case_sealed, active.keeper_right, active.unit_seal_keeper) == (True, True, True)
    assert not seal_for_sealing(unit=workstation, user=keeper, case_id=sealed.case_id + 1, at=now).case_sealed

    outsider = staff_at(workstation, role=User.Role.REVIEWER, is_reviewer=True, is_seal_keeper=True)
    flags = seal_for_sealing(unit=workstation, user=outsider, case_id=1, at=now)
    assert (flags.keeper_right, flags.unit_seal_keeper) == (False, True)
    stranger = staff_at(Unit.objects.exclude(pk=workstation.pk).first(), is_seal_keeper=True)
    assert not seal_for_sealing(unit=workstation, user=stranger, case_id=1, at=now).unit_seal_keeper

    seal_keeper_remove(seal=seal, user=keeper)
    later = timezone.now() + datetime.timedelta(seconds=1)
    assert not seal_for_sealing(unit=workstation, user=keeper, case_id=1, at=later).keeper_right
    assert seal_for_sealing(unit=workstation, user=keeper, case_id=1, at=now).keeper_right  # the right then
    record = make_record(unit=workstation, reviewer=keeper)
    code = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    with pytest.raises(ServiceError) as exc:
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
    _failed(exc, "not_seal_keeper")

    seal_revoke(seal=seal, reason="测试")
    assert seal_for_sealing(unit=workstation, user=keeper, case_id=1, at=now) is None
