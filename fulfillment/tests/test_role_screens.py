"""Each role is shown only what it may do: no link or button in the back-office answers 403.

The same walk also fails a page that shows template syntax as text (a `{#` comment split over lines).

The test walks the staff screens as each role, from the dashboard, following every link it is shown,
and sends every form it finds (inside a rolled-back transaction, so that one button's effect cannot
hide another's refusal). Each view is visited a few times per role (by its URL name), not once per
object, so the walk stays short however much data there is.
"""

import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.urls import Resolver404, resolve, reverse

pytestmark = pytest.mark.django_db

LINK = re.compile(r'\bhref="([^"#]+)"')
FORM = re.compile(r'<form\b[^>]*\bmethod="post"[^>]*>', re.I)
ACTION = re.compile(r'\baction="([^"]+)"')
FORMACTION = re.compile(r'\bformaction="([^"]+)"')
NOT_WALKED = ("/admin/", "/static/", "/accounts/", "/track/", "/api/", "/fulfillment/webhooks/")
VISITS_PER_VIEW = 2


def _view(url: str) -> str | None:
    path = urlsplit(url).path
    if not path.startswith("/") or path.startswith(NOT_WALKED):
        return None
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _targets(page_url: str, html: str) -> tuple[list[str], list[str]]:
    links = [urljoin(page_url, href.replace("&amp;", "&")) for href in LINK.findall(html)]
    posts = [urljoin(page_url, action) for form in FORM.findall(html) for action in ACTION.findall(form)]
    posts += [urljoin(page_url, action) for action in FORMACTION.findall(html)]
    return [u for u in links if _view(u)], [u for u in posts if _view(u)]


def _refusals(client, start: str) -> list[str]:
    queue, seen, refused = [start], set(), []
    visits, posts = Counter(), Counter()
    while queue:
        url = queue.pop(0)
        view = _view(url)
        if url in seen or visits[view] >= VISITS_PER_VIEW:
            continue
        seen.add(url)
        visits[view] += 1
        response = client.get(url)
        if response.status_code == 403:
            refused.append(f"GET {url}")
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        if "{#" in html or "{%" in html:
            refused.append(f"template syntax shown as text on {url}")
        links, actions = _targets(url, html)
        queue.extend(link for link in links if link not in seen)
        for action in actions:
            if posts[_view(action)] >= VISITS_PER_VIEW:
                continue
            posts[_view(action)] += 1
            with transaction.atomic():
                if client.post(action, {}).status_code == 403:
                    refused.append(f"POST {action} (from {url})")
                transaction.set_rollback(True)
    return refused


@pytest.fixture
def a_working_day(place, release, pack, hand_over):
    """Orders at every warehouse stage: waiting to be released, released, packed, shipped."""
    place()
    release(place())
    pack(release(place()))
    hand_over(pack(release(place())))


@pytest.mark.parametrize("role", ["sales_user", "warehouse_user", "finance_user", "manager_user"])
def test_no_role_is_shown_a_link_or_button_it_may_not_use(role, request, login, a_working_day):
    client = login(request.getfixturevalue(role))

    assert _refusals(client, reverse("orders:dashboard")) == []


def test_sales_see_the_queue_and_shipments_but_no_pack_link_nor_waves(login, sales_user, a_working_day):
    page = login(sales_user).get(reverse("fulfillment:queue")).content.decode()

    assert reverse("fulfillment:shipment_list") in page
    assert reverse("fulfillment:wave_list") not in page
    assert ">Pack<" not in page and "Create wave" not in page
