"""Which database a read goes to."""
from django.conf import settings


def replica() -> str:
    """The alias for reads that may lag the primary by a moment ("replica" when DATABASE_REPLICA_URL is set,
    else "default"). Never use it for a read that must see the caller's own write."""
    return settings.READ_REPLICA_ALIAS
