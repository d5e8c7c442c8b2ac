"""The service worker and its offline page (issue 22): a phone that has been here keeps the app shell, and when
the network is gone a page it opens shows a clear message in both languages instead of the browser's error.

The worker is served from the site's root (a worker controls only pages under its own address) and rendered by
Django, so it names the hashed files of this release; a new release changes them, hence the worker's bytes, and
the browser installs the new worker and drops the old cache.
"""
import hashlib
import json

from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

# What the offline page and the home page need: kept in the worker's cache, answered from it.
SHELL_FILES = ("frontend/css/app.css", "frontend/img/icon.svg", "frontend/js/common.js", "frontend/js/base.js",
               "frontend/js/home.js")
OFFLINE_URL = "/offline/"


@cache_control(no_cache=True)
def worker(request):
    # Under DEBUG the names are plain and change content without changing name: keep none of them.
    shell = [] if settings.DEBUG else [static(name) for name in SHELL_FILES]
    version = hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
    return render(request, "frontend/sw.js", {"shell_json": json.dumps(shell), "version": version,
                                              "offline_json": json.dumps(OFFLINE_URL)},
                  content_type="text/javascript; charset=utf-8")


@cache_control(no_cache=True)
def offline(request):
    """The same page for everyone (no token, no names): it is kept in the worker's cache and shown offline."""
    return render(request, "frontend/offline.html")
