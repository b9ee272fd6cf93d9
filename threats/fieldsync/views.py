"""The field app's shell: the page, its web-app manifest and its service worker, all under /field/.

The page holds no data: it logs in through the sync API and keeps everything in the phone's IndexedDB.
The service worker is served from /field/sw.js so that its scope covers /field/.
"""

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from threats.fieldsync.texts import field_choices, field_strings

ASSETS = [
    "field/app.css",
    "field/db.js",
    "field/route.js",
    "field/seizure.js",
    "field/app.js",
    "field/icon-192.png",
    "field/icon-512.png",
    "leaflet/leaflet.css",
    "leaflet/leaflet.js",
]  # Leaflet (django-leaflet's copy) draws the route map offline


@lru_cache(maxsize=1)
def assets_version() -> str:
    """A hash of the app's files and texts: a new one makes phones fetch the new version when next online."""
    digest = hashlib.sha256()
    for name in ASSETS + ["field/sw.js"]:
        path = finders.find(name)
        if path:
            with open(path, "rb") as fh:
                digest.update(fh.read())
    for code, _name in settings.LANGUAGES:  # a changed translation is a new version too
        with translation.override(code):
            digest.update(json.dumps([field_strings(), field_choices()], sort_keys=True).encode())
    return digest.hexdigest()[:12]


def _config() -> dict:
    """The page's config, in the request's language: cached with the page by the service worker."""
    return {
        "version": assets_version(),
        "lang": translation.get_language(),
        "strings": field_strings(),
        "choices": field_choices(),
        "api": {
            "login": reverse("sync-login"),
            "bootstrap": reverse("sync-bootstrap"),
            "sync": reverse("sync-batch"),
            "photos": reverse("sync-batch") + "photos/",
            "records": reverse("sync-batch") + "records/",
        },
        "sw": reverse("field-sw"),
        "scope": reverse("field-app"),
        "photoMaxPx": settings.IRBIS_SYNC_PHOTO_MAX_PX,
        "maxBatchItems": min(settings.IRBIS_SYNC_MAX_BATCH_ITEMS, 200),
    }


@require_GET
@never_cache
def field_app(request: HttpRequest) -> HttpResponse:
    return render(request, "field/app.html", {"config_json": _config(), "version": assets_version()})


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    body = {
        "name": "Irbis Field",
        "short_name": "Irbis",
        "description": "Log snare finds, incidents and wildlife signs offline.",
        "start_url": reverse("field-app"),
        "scope": reverse("field-app"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#000000",
        "icons": [
            {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("field/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json")


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    path = finders.find("field/sw.js")
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    precache = [reverse("field-app"), reverse("field-manifest")] + [static(name) for name in ASSETS]
    header = f"const VERSION = {json.dumps(assets_version())};\nconst PRECACHE = {json.dumps(precache)};\n"
    response = HttpResponse(header + source, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field-app")
    return response
