"""Celery tasks of signing (thin)."""
from celery import shared_task


@shared_task(name="signing.checkpoint")
def ledger_checkpoint() -> int:
    from signing.models import CertificateAuthority
    from signing.services import checkpoint_create

    if not CertificateAuthority.objects.filter(active=True).exists():
        return 0
    checkpoint = checkpoint_create()
    return checkpoint.tree_size if checkpoint else 0


@shared_task(name="signing.crl_refresh")
def crl_refresh_daily() -> int:
    """A fresh CRL every day: verifiers refuse one past its next_update (a week after it was issued)."""
    from signing.models import CertificateAuthority
    from signing.services import crl_refresh

    authorities = list(CertificateAuthority.objects.filter(active=True))
    for ca in authorities:
        crl_refresh(ca=ca)
    return len(authorities)
