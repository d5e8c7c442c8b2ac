"""The security suite's world (tests/support/security.py), built once per test inside its transaction."""
import pytest

from tests.support.security import World, build_world


@pytest.fixture
def world(org, settings, tmp_path, django_capture_on_commit_callbacks) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEALING_REQUIRED = False
    with django_capture_on_commit_callbacks(execute=True):
        built = build_world()
    built.case.refresh_from_db()
    return built
