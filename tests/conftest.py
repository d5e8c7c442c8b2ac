"""Shared fixtures: the shipped organisation and catalog, API clients, demo people."""
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.sms import LocmemSmsBackend
from config.celery import app as celery_app

# Fixtures shared across folders live in plain modules, registered here (conftest.py files are not imported).
pytest_plugins = ["tests.support.signing_fixtures"]


def _ensure_reference_data():
    from bookings.models import ServiceItem
    from stations.models import Unit

    if not Unit.objects.exists():
        call_command("load_organisation", verbosity=0, stdout=open("/dev/null", "w"))
    if not ServiceItem.objects.exists():
        call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _ensure_reference_data()
    yield
    # psycopg's pools keep their connections open: Django closes the default alias' pool before dropping the
    # test database, not the replica's (a mirror of it), whose connections would then hold the database open.
    from django.db import connections

    for connection in connections.all():
        if connection.vendor == "postgresql" and connection.settings_dict.get("OPTIONS", {}).get("pool"):
            connection.close_pool()


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Pages render with the plain static storage: the hashed one needs collectstatic's manifest, which the suite
    does not build (Django's advice for tests); tests/frontend/test_static_files.py collects and checks it."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language: a request through the test client leaves the language its
    LocaleMiddleware chose active in the thread, which would otherwise carry into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def checkpoint_store_dir(settings, tmp_path):
    """Each test exports its ledger checkpoints to a directory of its own (a shared one would hold another
    test's checkpoints, which verification compares with this test's ledger)."""
    settings.STORAGES = {**settings.STORAGES, "signing_checkpoints": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "checkpoints")}}}
    return tmp_path / "checkpoints"


@pytest.fixture
def org(db):
    """The organisation and catalog (reloaded if a transactional test flushed them)."""
    _ensure_reference_data()


def _clear_cache_keys():
    """Forget cached values (throttle counters, slot answers) without flushing the whole Redis
    database: the Celery broker and the channel layer may share it."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    for alias in ("default", "throttle"):
        backend = caches[alias]
        if not isinstance(backend, RedisCache):
            backend.clear()
            continue
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{backend.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    # Fast hashing in tests; production keeps Django's default PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A test's writes sit in its own open transaction, which another connection cannot see: reads stay on
    # "default" here; tests/test_replica.py turns the replica on with committed data.
    settings.READ_REPLICA_ALIAS = "default"
    LocmemSmsBackend.outbox.clear()
    _clear_cache_keys()
    celery_app.conf.task_always_eager = True
    yield
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def sms_outbox():
    return LocmemSmsBackend.outbox


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def resident(org):
    from tests.factories import ResidentFactory

    return ResidentFactory()


@pytest.fixture
def resident_api(resident):
    client = APIClient()
    client.force_authenticate(resident)
    return client


@pytest.fixture
async def fresh_channel_layer():
    """A channel layer made for this test's event loop and closed after it: channels-redis binds its
    connections and locks to the loop it first ran in, and a layer left from an earlier test's loop
    hangs the next one's teardown. Also closes the DB connection of the thread database_sync_to_async
    runs in (the test's and the consumers'): CONN_MAX_AGE keeps it open otherwise, and the session
    still open at the end of the run stops the test database from being dropped."""
    from channels.db import database_sync_to_async
    from channels.layers import channel_layers
    from django.db import connections

    channel_layers.backends.clear()
    yield
    layer = channel_layers.backends.pop("default", None)
    if layer is not None and hasattr(layer, "close_pools"):
        await layer.close_pools()
    await database_sync_to_async(connections.close_all)()


# Tests that share a long-lived outside world run last, in file order, even when pytest-randomly shuffles the rest:
# the browser tests drive one live site per session, whose bookings and waiting rooms carry from one test into the
# next, and Playwright's sync API keeps an event loop running in the main thread while its session fixture lives
# (an async test after it could not start its own); the resilience tests stop and start one production profile.
KEEP_FILE_ORDER = ("browser", "resilience")


def _keeps_file_order(item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return "live_site" in fixtures or "chromium" in fixtures or any(item.get_closest_marker(n) for n in KEEP_FILE_ORDER)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """pytest-randomly (requirements-dev.txt) shuffles the tests, modules first, then the tests in each; the header
    names the seed (`-p randomly --randomly-seed=N` replays an order, `-p no:randomly` turns it off). Registered
    after it, this wrapper runs first: it notes the written order, and once the shuffle is done moves the tests
    that keep file order to the end, in that order."""
    written = {item.nodeid: index for index, item in enumerate(items)}
    result = yield
    kept = sorted((item for item in items if _keeps_file_order(item)), key=lambda item: written[item.nodeid])
    items[:] = [item for item in items if not _keeps_file_order(item)] + kept
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter):
    """Close the run with one line: which groups were skipped for a missing system tool, and how to install them.
    Outermost wrapper, so the line comes after pytest's short summary, just before the counts."""
    from tests.system_tools import summary_line

    result = yield
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reasons.append(longrepr[2] if isinstance(longrepr, tuple) else str(longrepr))
    line = summary_line(reasons)
    if line:
        terminalreporter.write_line(line, yellow=True)
    return result
