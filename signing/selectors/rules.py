"""Rules sealing and verification share (reads only): the seal to seal with, keepers, delegations."""
import datetime

from django.db.models import Exists, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from signing import crypto
from signing.models import Delegation, Seal, SealedDecision, SealKeeper
from signing.selectors.trust import bureau_signed, ca_cert_pem
from stations.models import StaffMembership


def seal_for_sealing(*, unit, user, case_id: int, at: datetime.datetime) -> Seal | None:
    """The unit's active seal with its CA and unit, and what sealing checks beside it: `case_sealed` (the case has
    a sealed decision already), `keeper_right` (the user is on the seal's list at `at`: keeper_allowed),
    `unit_seal_keeper` (the user is a seal keeper of the unit). None when the unit has no active seal."""
    rights = SealKeeper.objects.filter(user_id=user.pk)
    seals = list(Seal.objects.filter(unit=unit, status=Seal.Status.ACTIVE).select_related("ca", "unit")
                 .annotate(case_sealed=Exists(SealedDecision.objects.filter(case_id=case_id)),
                           unit_seal_keeper=Exists(StaffMembership.objects.filter(user_id=user.pk, unit_id=unit.pk,
                                                                                  is_seal_keeper=True)))
                 .prefetch_related(Prefetch("keepers", queryset=rights, to_attr="user_rights"))
                 [:1])  # at most one: one_active_seal_per_unit
    if not seals:
        return None
    seal = seals[0]
    seal.keeper_right = keeper_allowed(seal=seal, user=user, at=at, rights=seal.user_rights)
    return seal


def keeper_allowed(*, seal: Seal, user, at: datetime.datetime, rights=None) -> bool:
    """On the seal's list at `at`. `rights`: this person's SealKeeper rows on this seal when the caller has read
    them (seal_for_sealing prefetches them), else read here."""
    if rights is None:
        rights = SealKeeper.objects.filter(seal_id=seal.pk, user_id=getattr(user, "pk", user))
    return any(right.granted_at <= at and (right.removed_at is None or right.removed_at > at) for right in rights)


def delegation_for(*, unit, item_code: str, at: datetime.datetime | None = None) -> Delegation | None:
    """The unit's delegation covering `item_code` at `at` (now), the one valid longest; None when none does."""
    at = at or timezone.now()
    for delegation in Delegation.objects.filter(unit=unit, revoked_at__isnull=True, valid_from__lte=at,
                                                valid_until__gt=at).order_by("-valid_until"):
        if item_code in delegation.item_codes:
            return delegation
    return None


def delegation_problem(*, record: dict, unit, at: datetime.datetime) -> str | None:
    """Why the record's delegation does not cover this approval at `at`, or None when it does."""
    reference = record.get("delegation")
    if not reference:
        return _("本站没有该事项的审批授权。")
    delegation = Delegation.objects.filter(serial=reference["serial"]).first()
    if delegation is None or delegation.unit_id != unit.pk:
        return _("授权记录不存在或不属于本单位。")
    ca_pem = ca_cert_pem(delegation.record.get("ca_sha256", ""))
    if reference.get("record_sha256") != crypto.record_hash(delegation.record) or ca_pem is None or not bureau_signed(
            ca_pem, delegation.record, delegation.signature):
        return _("授权记录的签名无效。")
    if record["item"]["code"] not in delegation.item_codes:
        return _("授权范围不包括该事项。")
    if delegation.revoked_at is not None and delegation.revoked_at <= at:
        return _("授权已撤销。")
    if not (delegation.valid_from <= at < delegation.valid_until):
        return _("授权已过期或尚未生效。")
    return None
