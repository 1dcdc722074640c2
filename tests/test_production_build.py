"""The production build: static files collected with the manifest storage, pages served with DEBUG off.

The Docker image runs `collectstatic` with OMS_ENV=production; if it fails, the image cannot be
built, and a server without the manifest answers every page with a 500.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD, UserFactory

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def production_static_root(tmp_path_factory) -> Path:
    """`manage.py collectstatic` run exactly as the Dockerfile runs it, into a temporary STATIC_ROOT."""
    root = tmp_path_factory.mktemp("staticfiles")
    environment = {
        **os.environ, "OMS_ENV": "production", "ALLOWED_HOSTS": "build", "STATIC_ROOT": str(root),
        "SECRET_KEY": "build-only-key-not-used-at-runtime-0123456789abcdef",
    }
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=settings.BASE_DIR,
                            env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def test_collectstatic_with_the_production_storage_writes_a_complete_manifest(production_static_root):
    manifest = json.loads((production_static_root / "staticfiles.json").read_text())["paths"]

    for name in ("vendor/bootstrap/bootstrap.min.css", "vendor/bootstrap/bootstrap.bundle.min.js",
                 "vendor/htmx/htmx.min.js", "css/oms.css", "js/oms.js", "admin/css/base.css"):
        assert name in manifest
        assert (production_static_root / manifest[name]).is_file()


def test_no_vendored_file_points_at_a_source_map_that_is_not_vendored():
    static = Path(settings.BASE_DIR) / "static"
    for path in static.rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        for reference in re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", path.read_text(errors="replace")):
            assert (path.parent / reference).is_file(), f"{path} points at {reference}, which is missing"


@pytest.fixture
def production_mode(settings, production_static_root):
    settings.DEBUG = False
    settings.STATIC_ROOT = production_static_root
    settings.STORAGES = PRODUCTION_STORAGES
    return production_static_root


@pytest.mark.django_db
def test_the_login_page_renders_in_production_mode_with_hashed_static_files(client, production_mode):
    manifest = json.loads((production_mode / "staticfiles.json").read_text())["paths"]

    response = client.get("/accounts/login/")

    assert response.status_code == 200
    html = response.content.decode()
    hashed_css = manifest["vendor/bootstrap/bootstrap.min.css"]
    assert f"/static/{hashed_css}" in html
    assert client.get(f"/static/{hashed_css}").status_code == 200


@pytest.mark.django_db
def test_a_staff_page_renders_in_production_mode(client, login, production_mode):
    user = UserFactory(username="prod-admin", is_staff=True, is_superuser=True)
    login(user)  # password, then the second factor production asks of admins

    for url in ("/", "/orders/", "/admin/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert b"/static/vendor/bootstrap/bootstrap.min.css" not in response.content
