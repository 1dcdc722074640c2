"""The Content-Security-Policy every page is sent with, and the templates it relies on: no inline
script and no event-handler attribute in a page template (PDFs and e-mails are not pages)."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NOT_PAGES = ("_pdf.html", "/email/", "_pdf_style.html")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)


def directives(response) -> dict[str, set[str]]:
    policy = response["Content-Security-Policy"]
    return {name: set(values) for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_pages_forbid_inline_scripts_plugins_framing_and_foreign_forms(client, db):
    policy = directives(client.get(reverse("login")))

    assert policy["script-src"] == {"'self'"}
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["style-src"] == {"'self'"}
    assert policy["object-src"] == {"'none'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["base-uri"] == {"'self'"} and policy["form-action"] == {"'self'"}


def test_the_public_tracking_lookup_is_sent_the_policy_too(client, db):
    assert "script-src" in client.get(reverse("fulfillment:track_lookup"))["Content-Security-Policy"]


def test_page_templates_have_no_inline_script_or_event_handler_attribute():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        if any(marker in f"/{name}" for marker in NOT_PAGES):
            continue
        text = path.read_text()
        if INLINE_SCRIPT.search(text):
            offenders.append(f"{name}: inline <script>")
        if EVENT_HANDLER.search(text):
            offenders.append(f"{name}: on…= attribute")
        if "<style" in text:
            offenders.append(f"{name}: inline <style>")

    assert offenders == []
