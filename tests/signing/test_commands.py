"""The manage.py commands: CA, seal issue / rotate / revoke, the idempotent demo setup, verify_ledger."""
import io

import pytest
from django.core.management import CommandError, call_command

from signing.models import CertificateAuthority, Delegation, LedgerEntry, Seal
from stations.models import StaffMembership, Unit

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_seal_life_cycle_commands(org, keeper, workstation, tmp_path):
    ca_file = tmp_path / "ca.pem"
    assert "sha256=" in _run("signing_ca_create", "--out", str(ca_file))
    assert ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    _run("signing_ca_create")
    assert CertificateAuthority.objects.count() == 1
    assert "keepers: 1" in _run("signing_seal_issue", workstation.code)
    with pytest.raises(CommandError, match="已有有效印章"):
        _run("signing_seal_issue", workstation.code)
    old = Seal.objects.get(unit=workstation)
    _run("signing_seal_rotate", workstation.code)
    old.refresh_from_db()
    new = Seal.objects.get(unit=workstation, status=Seal.Status.ACTIVE)
    assert old.status == Seal.Status.ROTATED and old.replaced_by == new
    _run("signing_seal_revoke", new.serial, "--reason", "测试")
    new.refresh_from_db()
    assert new.status == Seal.Status.REVOKED and new.revoked_at
    with pytest.raises(CommandError):
        _run("signing_seal_issue", "no-such-unit")
    assert "ledger OK" in _run("verify_ledger")
    kinds = list(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds.count("seal_issued") == 2 and "seal_rotated" in kinds and "seal_revoked" in kinds


def test_demo_setup_is_idempotent(org):
    call_command("load_demo", stdout=io.StringIO())
    first = _run("signing_demo_setup")
    sealing_units = Unit.objects.filter(kind__in=["county_workstation", "city_department"]).count()
    assert Seal.objects.filter(status="active").count() >= sealing_units
    stations = Unit.objects.filter(kind="township_station", memberships__is_seal_keeper=True).distinct()
    assert stations.exists()
    for station in stations:
        assert Seal.objects.filter(unit=station, status="active").exists()
        assert Delegation.objects.filter(unit=station, revoked_at__isnull=True).exists()
    keeper = StaffMembership.objects.filter(is_seal_keeper=True).select_related("unit").first()
    assert Seal.objects.get(unit=keeper.unit, status="active").keepers.filter(user=keeper.user).exists()
    counts = (Seal.objects.count(), Delegation.objects.count(), LedgerEntry.objects.count())
    second = _run("signing_demo_setup")
    assert "0 seals issued, 0 delegations granted" in second and first != second
    assert (Seal.objects.count(), Delegation.objects.count(), LedgerEntry.objects.count()) == counts
