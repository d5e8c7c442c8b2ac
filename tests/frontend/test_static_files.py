"""Scripts and styles under hashed names, served to be kept for good (issue 22): collectstatic with the storage of
every profile, then pages and WhiteNoise as a phone sees them. The rest of the suite renders plain names
(tests/conftest.py); `collected` and `hashed_static` are in tests/frontend/conftest.py."""
import gzip
import re

import pytest
from django.test import Client

from tests.frontend.live import ROOT

pytestmark = pytest.mark.django_db
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.\w+$")
IMPORT = re.compile(r"""(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']""", re.S)
FOREVER = "max-age=315360000"


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_pages_name_scripts_styles_and_icons_by_hashed_names(hashed_static, org, resident):
    client = Client()
    pages = [client.get(path).content.decode() for path in ("/", "/login/", "/verify/")]
    client.force_login(resident)
    pages += [client.get(path).content.decode() for path in ("/", "/me/bookings/", "/me/profile/")]
    urls = {url for html in pages for url in _static_urls(html)}
    plain_names = {re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", url.rsplit("/", 1)[1]) for url in urls}
    assert {"app.css", "notices.css", "common.js", "base.js", "home.js", "login.js", "icon.svg"} <= plain_names
    assert urls and all(HASHED_NAME.search(url) for url in urls), sorted(urls)


def test_hashed_files_are_served_to_be_kept_for_good_and_compressed(hashed_static, org):
    client = Client()
    for url in _static_urls(client.get("/").content.decode()):
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200, url
        assert FOREVER in response["Cache-Control"] and "immutable" in response["Cache-Control"], url
        if url.endswith((".js", ".css")):
            assert response["Content-Encoding"] == "gzip", url  # the copy collectstatic compressed
            assert gzip.decompress(b"".join(response.streaming_content))
    plain = client.get("/static/frontend/js/common.js")
    assert plain.status_code == 200 and "immutable" not in plain["Cache-Control"]


def test_script_modules_import_each_other_by_hashed_names(hashed_static):
    """Django rewrites `import … from "./common.js"` only with support_js_module_import_aggregation; a plain
    name there would load a second copy of common.js beside the hashed one the page preloads."""
    scripts = [path for path in (hashed_static / "frontend" / "js").glob("*.js") if HASHED_NAME.search(path.name)]
    assert scripts
    imported = set()
    for script in scripts:
        for target in IMPORT.findall(script.read_text()):
            assert HASHED_NAME.search(target), (script.name, target)
            assert (script.parent / target).exists(), (script.name, target)
            imported.add(target)
    assert any(name.startswith("./common.") for name in imported)


def test_nginx_keeps_exactly_the_hashed_names_for_good(collected):
    import json

    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    pattern = re.search(r"location ~ \"\^/static/\(\?<hashed_name>(.+)\)\$\" {", conf)[1]
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    assert all(re.fullmatch(pattern, hashed) for hashed in manifest.values())
    assert not any(re.fullmatch(pattern, plain) for plain in manifest)


def test_templates_and_scripts_build_no_static_address_by_hand():
    frontend = ROOT / "frontend"
    for path in [*frontend.glob("templates/**/*.html"), *frontend.glob("static/**/*.js")]:
        assert "/static/" not in path.read_text(), path


def test_under_debug_pages_render_plain_names_without_collectstatic(settings, tmp_path, org):
    """`runserver` or `make run` with DEBUG: Django hands out plain names by design, so no manifest is needed."""
    settings.DEBUG = True
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "config.static_storage.HashedModulesStaticFilesStorage"}}
    response = Client().get("/")
    assert response.status_code == 200
    assert "/static/frontend/js/common.js" in _static_urls(response.content.decode())
