"""Every page names an icon, and /favicon.ico (asked for by browsers on pages that name none, such as the
Django admin's) leads to it instead of a 404 in the server log and the browser console."""

from django.contrib.staticfiles import finders


def test_favicon_ico_leads_to_the_vendored_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
    assert finders.find("img/favicon.svg")


def test_pages_name_the_icon(client):
    page = client.get("/accounts/login/").content.decode()

    assert 'rel="icon"' in page and "img/favicon.svg" in page
