"""Idempotent demo setup: the CA, a seal for every county workstation, city department and station with seal
keepers, the keepers on each seal's list, delegations of township-level items to those stations, a checkpoint.

It lives in reviews, which stands on both bookings (the catalog's township-level items) and signing: signing itself
imports no business app above stations and accounts."""
import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bookings.models import ServiceItem
from signing.models import Delegation, Seal
from signing.services import (
    ca_create,
    checkpoint_create,
    delegation_grant,
    seal_issue,
    seal_keeper_grant,
    unit_seal_keepers,
)
from signing.tsa import tsa_issue
from stations.models import Unit


class Command(BaseCommand):
    help = "Create the demo CA, seals, keepers and delegations (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        ca = ca_create()
        tsa_issue()  # the local time-stamping authority (SIGNING_TSA_URL empty)
        units = Unit.objects.filter(
            Q(kind__in=[Unit.Kind.COUNTY_WORKSTATION, Unit.Kind.CITY_DEPARTMENT])
            | Q(memberships__is_seal_keeper=True), active=True,
        ).distinct().order_by("code")
        township_items = list(ServiceItem.objects.filter(approval_level="township", active=True)
                              .values_list("code", flat=True))
        issued = delegated = 0
        for unit in units:
            seal = Seal.objects.filter(unit=unit, status=Seal.Status.ACTIVE).first()
            if seal is None:
                seal = seal_issue(unit=unit)
                issued += 1
            for user in unit_seal_keepers(unit):
                seal_keeper_grant(seal=seal, user=user)
            if unit.kind == Unit.Kind.TOWNSHIP_STATION and township_items and not Delegation.objects.filter(
                    unit=unit, revoked_at__isnull=True, valid_until__gt=timezone.now()).exists():
                delegation_grant(unit=unit, item_codes=township_items,
                                 valid_until=timezone.now() + datetime.timedelta(days=365))
                delegated += 1
        checkpoint_create()
        self.stdout.write(f"CA sha256={ca.fingerprint}; {units.count()} sealing units, {issued} seals issued, "
                          f"{delegated} delegations granted")
