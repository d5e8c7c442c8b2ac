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
