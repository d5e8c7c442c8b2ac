"""The bureau's delegations of approval to township stations."""
import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from signing import crypto
from signing.models import Delegation, LedgerEntry
from signing.services.common import _iso, ca_active, ca_private_key
from signing.services.ledger import ledger_append


@transaction.atomic
def delegation_grant(*, unit, item_codes: list[str], valid_until: datetime.datetime,
                     valid_from: datetime.datetime | None = None) -> Delegation:
    ca = ca_active()
    valid_from = valid_from or timezone.now() - datetime.timedelta(minutes=1)
    serial = f"DEL-{unit.code}-{timezone.now():%Y%m%d}-{secrets.token_hex(3).upper()}"
    record = {
        "type": "delegation",
        "version": 1,
        "serial": serial,
        "granted_by": settings.SIGNING_BUREAU_NAME,
        "unit": {"code": unit.code, "name": unit.name},
        "items": sorted(set(item_codes)),
        "valid_from": _iso(valid_from),
        "valid_until": _iso(valid_until),
        "ca_sha256": ca.fingerprint,
    }
    delegation = Delegation.objects.create(
        serial=serial, unit=unit, item_codes=record["items"], valid_from=valid_from, valid_until=valid_until,
        record=record, signature=crypto.bureau_sign(ca_private_key(ca), record),
    )
    ledger_append(kind=LedgerEntry.Kind.DELEGATION_GRANTED, subject=serial,
                  payload={"delegation_sha256": crypto.record_hash(record), "unit": unit.code})
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation: Delegation) -> None:
    if Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        ledger_append(kind=LedgerEntry.Kind.DELEGATION_REVOKED, subject=delegation.serial,
                      payload={"serial": delegation.serial})
