import pytest

from oms.roles import FINANCE, MANAGER, SALES, WAREHOUSE
from tests.factories import PASSWORD, UserFactory


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
