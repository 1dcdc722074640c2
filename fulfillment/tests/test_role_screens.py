"""Each role is shown only what it may do: no link or button on the warehouse screens answers 403.

The test walks the fulfillment screens as each role, from the dashboard, following every link under
/fulfillment/, and sends every form it finds (inside a rolled-back transaction, so that one button's
effect cannot hide another's refusal).
"""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.urls import reverse

pytestmark = pytest.mark.django_db

LINK = re.compile(r'\bhref="([^"#]+)"')
FORM = re.compile(r'<form\b[^>]*\bmethod="post"[^>]*>', re.I)
ACTION = re.compile(r'\b(?:action|formaction)="([^"]+)"')


def _targets(page_url: str, html: str) -> tuple[set[str], set[str]]:
    links = {urljoin(page_url, href) for href in LINK.findall(html)}
    posts = {urljoin(page_url, action) for form in FORM.findall(html) for action in ACTION.findall(form)}
    posts |= {urljoin(page_url, action) for action in re.findall(r'\bformaction="([^"]+)"', html)}
    inside = lambda url: urlsplit(url).path.startswith("/fulfillment/") and "/webhooks/" not in url  # noqa: E731
    return {u for u in links if inside(u)}, {u for u in posts if inside(u)}


def _refusals(client, start: str, limit: int = 60) -> list[str]:
    seen, queue, refused, posted = set(), [start], [], set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code == 403:
            refused.append(f"GET {url}")
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        links, posts = _targets(url, response.content.decode())
        queue.extend(sorted(links - seen))
        for action in sorted(posts - posted):
            posted.add(action)
            with transaction.atomic():
                if client.post(action, {}).status_code == 403:
                    refused.append(f"POST {action} (from {url})")
                transaction.set_rollback(True)
    return refused


@pytest.fixture
def warehouse_at_work(place, release, pack, ship):
    """One order waiting to be released, one released, one packed and one shipped."""
    place()
    release(place())
    pack(release(place()))
    ship(pack(release(place())))


@pytest.mark.parametrize("role", ["sales_user", "warehouse_user", "finance_user", "manager_user"])
def test_no_role_is_shown_a_warehouse_action_it_may_not_take(role, request, login, warehouse_at_work):
    client = login(request.getfixturevalue(role))

    assert _refusals(client, reverse("orders:dashboard")) == []


def test_sales_see_the_queue_and_shipments_but_no_pack_link_nor_waves(login, sales_user, warehouse_at_work):
    page = login(sales_user).get(reverse("fulfillment:queue")).content.decode()

    assert reverse("fulfillment:shipment_list") in page
    assert reverse("fulfillment:wave_list") not in page
    assert ">Pack<" not in page and "Create wave" not in page
