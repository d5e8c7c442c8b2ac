"""Limited tries on a secret code, counted before the check so that concurrency cannot add tries.

A code may be checked at most `limit` times. Reading the counter, checking the (slow) hash and then counting
a failure lets a burst of parallel guesses all pass the read before any failure is counted. Instead each check
first claims a try with one conditional UPDATE (`... SET failed_attempts = failed_attempts + 1 WHERE
failed_attempts < limit`): PostgreSQL locks and re-checks the row, SQLite serialises writers, so at most
`limit` claims ever succeed, whatever the number of requests or addresses. A right code gives its try back.
"""
from django.db.models import F, QuerySet


def claim_try(codes: QuerySet, *, limit: int) -> bool:
    """Claim one try on the code `codes` selects; False when its tries are used up (or no such code)."""
    return codes.filter(failed_attempts__lt=limit).update(failed_attempts=F("failed_attempts") + 1) > 0


def tries_left(codes: QuerySet, *, limit: int) -> int:
    used = codes.values_list("failed_attempts", flat=True).first()
    return max(limit - (used if used is not None else limit), 0)


def use_up(codes: QuerySet, *, now) -> bool:
    """Mark the code used and give back the try its right answer claimed; False if another request used it."""
    return codes.filter(used_at__isnull=True).update(used_at=now, failed_attempts=F("failed_attempts") - 1) > 0
