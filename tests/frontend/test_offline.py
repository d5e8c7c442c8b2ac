"""The service worker (issue 22): it keeps the app shell under this release's hashed names, and when the network
is gone a page shows a clear message in Chinese and English instead of the browser's error."""
import json
import re

import pytest
from django.test import Client

from tests.support.browser import PHONE


@pytest.mark.django_db
def test_the_worker_names_this_releases_shell_and_is_asked_for_anew(hashed_static, org):
    from frontend.service_worker import OFFLINE_URL, SHELL_FILES

    client = Client()
    response = client.get("/sw.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    shell = json.loads(re.search(r"^const SHELL = (.*);$", body, re.M)[1])
    assert len(shell) == len(SHELL_FILES) and all(re.search(r"\.[0-9a-f]{12}\.\w+$", url) for url in shell)
    assert all(client.get(url).status_code == 200 for url in shell)
    assert json.loads(re.search(r"^const OFFLINE = (.*);$", body, re.M)[1]) == OFFLINE_URL
    assert 'data-service-worker="/sw.js"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_offline_page_speaks_both_languages_and_holds_nothing_personal(client, org, resident):
    client.force_login(resident)
    response = client.get("/offline/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    assert "没有网络" in html and "No network" in html and "Retry" in html and "重试" in html
    assert "csrfmiddlewaretoken" not in html and resident.real_name not in html


@pytest.mark.browser
@pytest.mark.slow
def test_offline_a_page_shows_the_message_and_retry_brings_it_back(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url, **PHONE)
    page = context.new_page()
    page.goto("/")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.goto("/login/")
    assert page.locator("#offline-zh h1").inner_text() == "没有网络"
    assert page.locator("#offline-en h1").inner_text() == "No network"
    context.set_offline(False)
    page.click("#offline-retry")
    page.wait_for_selector("#phone")
    assert page.url.endswith("/login/")
    context.close()
