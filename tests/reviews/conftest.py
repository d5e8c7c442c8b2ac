"""Fixtures of the review tests; their helpers are in tests/support/reviews.py."""
import pytest


@pytest.fixture(autouse=True)
def _reviews_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEALING_REQUIRED = False
