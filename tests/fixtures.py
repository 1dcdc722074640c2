import os

import pytest

from oms.roles import FINANCE, MANAGER, SALES, WAREHOUSE
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def celery_inline(request):
    """Tasks run inline in tests, unless a test drives a real broker or worker (marked so)."""
    from oms.celery import app

    if request.node.get_closest_marker("celery_worker") or request.node.get_closest_marker("redis"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sales_user(db):
    return UserFactory(username="sally", role=SALES)


@pytest.fixture
def warehouse_user(db):
    return UserFactory(username="walt", role=WAREHOUSE)


@pytest.fixture
def finance_user(db):
    return UserFactory(username="fiona", role=FINANCE)


@pytest.fixture
def manager_user(db):
    return UserFactory(username="max", role=MANAGER)


@pytest.fixture
def login(client):
    def _login(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login


# -- browser tests: Playwright drives Debian's chromium (it cannot download a browser here) ----

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    from tests.environment import chromium_path

    # Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests
    # make around it are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_FLAGS}


@pytest.fixture(autouse=True)
def _browser_patience(request):
    """A loaded 2-core CI machine can take seconds to answer: every browser test waits up to
    15 s for an element or an expectation instead of Playwright's 5 s."""
    if not request.node.get_closest_marker("browser"):
        return
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    request.getfixturevalue("page").set_default_timeout(15_000)
