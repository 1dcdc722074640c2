"""Every URL pattern, walked with hostile values in its path and query: a clear 4xx, never a 5xx.

The patterns come from Django's resolver, so a page added later is walked too. Each path
parameter is filled in turn with a NUL, a lone surrogate, broken UTF-8, a huge number and a
very long string (the other parameters with a real order's values, so the hostile one gets
past the first lookup), and every page is asked once more with hostile query parameters.
"""

import re
from urllib.parse import quote

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import PASSWORD, UserFactory, make_order

pytestmark = pytest.mark.django_db

# Already percent-encoded: a lone surrogate and broken UTF-8 reach a server only as bytes.
HOSTILE_SEGMENTS = ["%00", "%ED%A0%80", "9" * 30, "x" * 3000]
NUMBER_KEYS = ["page", "older_than_days", "days", "customer", "import_job", "wave", "warehouse", "product", "p", "o", "e"]
TEXT_KEYS = ["q", "status", "reason", "show", "channel", "priority", "created_from", "created_to", "sort", "next",
             "period", "sku", "number", "email", "token", "kind", "carrier"]
# One filter value that a form refuses hides the others, so numbers and texts go in separate requests.
HOSTILE_QUERIES = [
    "&".join(f"{key}=%00" for key in NUMBER_KEYS + TEXT_KEYS),
    "&".join(f"{key}=99999999999" for key in NUMBER_KEYS),
    "&".join(f"{key}={'9' * 30}" for key in NUMBER_KEYS),
    "&".join(f"{key}={'x' * 3000}" for key in NUMBER_KEYS + TEXT_KEYS),
]
ADMIN_QUERIES = [query for query in HOSTILE_QUERIES if "9" * 30 not in query]  # the admin pages all read them alike
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<regex>[^)]*)\)")


def walk(patterns, prefix=""):
    """(route template, converters by parameter name) for every pattern, admin included."""
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield prefix + route, getattr(pattern.pattern, "converters", {})


def urls_for(template: str, converters: dict, known: dict[str, str]):
    """The pattern with each parameter in turn hostile, the others filled with known values."""
    template = template.lstrip("^").rstrip("$").replace("\\", "")
    template = REGEX_GROUP.sub(lambda m: f"<{m['name']}>", template)
    names = [m["name"] for m in PARAMETER.finditer(template)]

    def fill(values):
        return "/" + PARAMETER.sub(lambda m: values[m["name"]], template)

    benign = {name: known.get(name, "0") for name in names}  # 0: no row has it (a POST deletes nothing)
    yield fill(benign)
    for name in names:
        for value in HOSTILE_SEGMENTS:
            converter = converters.get(name)
            if converter is not None and not re.fullmatch(converter.regex, value.replace("%", "")):
                continue  # the converter refuses it already: the resolver answers 404
            yield fill({**benign, name: value})


@pytest.fixture(autouse=True)
def _no_worker_ping(settings):
    # No Celery worker runs here: /health/ would rightly answer 503 (tests/test_operations.py covers it).
    settings.OMS_HEALTH_CELERY = False


@pytest.fixture
def known_values() -> dict[str, str]:
    order = make_order(submit=True)
    return {"token": order.tracking_token, "number": order.number, "order_number": order.number}


def requests_to_make(known):
    """(method, url): GET and POST with hostile path values, GET with hostile queries."""
    patterns = sorted(walk(get_resolver().url_patterns), key=lambda p: "logout" in p[0])  # log out last
    checked = False
    for template, converters in patterns:
        if "logout" in template and not checked:
            checked = True
            yield "check", ""  # whether the session survived everything but the logout pages
        urls = list(urls_for(template, converters, known))
        for url in urls:
            yield "get", url
        # The admin's views are Django's own, one per model: POSTed once each, to keep the walk short.
        for url in urls[:1] if template.startswith("admin/") else urls:
            yield "post", url
        for query in ADMIN_QUERIES if template.startswith("admin/") else HOSTILE_QUERIES:
            yield "get", f"{urls[0]}?{query}"


def server_errors(client, known) -> tuple[list[str], bool]:
    client.raise_request_exception = False  # count every 500 instead of stopping at the first
    failures = []
    for method, url in requests_to_make(known):
        if method == "check":
            signed_in_before_logout = "_auth_user_id" in client.session
            continue
        data = {"q": "\x00", "name": "x" * 5000} if method == "post" else None
        response = getattr(client, method)(url, data)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {url[:200]} -> {response.status_code}")
    return failures, signed_in_before_logout


def test_no_url_answers_an_anonymous_visitor_with_a_server_error(client, known_values):
    assert server_errors(client, known_values) == ([], False)


def test_no_url_answers_a_superuser_with_a_server_error(client, login, known_values):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    login(user)  # password, then the second factor

    # Still signed in when the logout pages come: no POST (a delete, a password change) ended the session.
    assert server_errors(client, known_values) == ([], True)


def test_a_nul_in_a_public_path_is_a_400_page():
    from django.test import Client

    response = Client().get("/track/%00/")

    assert response.status_code == 400
    assert b"NUL character" in response.content


def test_broken_utf8_in_the_query_string_of_the_api_is_a_json_400(client):
    response = client.get("/api/v1/orders/?q=%ED%A0%80")

    assert response.status_code == 400
    assert "url" in response.json()["errors"]
