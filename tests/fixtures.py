import os
from decimal import Decimal

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


def _user_with_role(username: str, role: str):
    """A fixture: one staff user in `role` (the groups and permissions `oms.roles` sets up)."""

    @pytest.fixture
    def user(db):
        return UserFactory(username=username, role=role)

    return user


sales_user = _user_with_role("sally", SALES)
warehouse_user = _user_with_role("walt", WAREHOUSE)
finance_user = _user_with_role("fiona", FINANCE)
manager_user = _user_with_role("max", MANAGER)


@pytest.fixture(autouse=True)
def two_factor_as_in_production(settings):
    """Every test runs with the roles production asks a second factor of (development asks none)."""
    settings.OMS_TWO_FACTOR_ROLES = ["finance", "manager", "admin"]


def enrol_authenticator(user):
    """Give the user a confirmed authenticator, as the enrolment page does; returns the device."""
    from django_otp.oath import totp

    from accounts import services

    device = services.totp_device_start(actor=user, user=user)
    device, _ = services.totp_device_confirm(actor=user, user=user, device_id=device.pk,
                                             token=f"{totp(device.bin_key):06d}")
    return device


def pass_second_factor(client, user):
    """Complete the second step of a sign-in on the verify page with a backup code, when the
    user's role asks for one (enrolling an authenticator first if the user has none)."""
    from django.urls import reverse

    from accounts import services
    from accounts.selectors import user_has_second_factor, user_needs_second_factor

    if not user_needs_second_factor(user):
        return client
    if not user_has_second_factor(user):
        enrol_authenticator(user)
    code = services.backup_codes_regenerate(actor=user, user=user)[0]
    response = client.post(reverse("accounts:two_factor_verify"), {"token": code})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def login(client):
    """Sign in through the login page (password, then the second factor where the role needs it)."""
    from django.urls import reverse

    def _login(user):
        client.logout()  # the login page sends a signed-in user away: sign the previous one out
        response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content.decode()[:500]
        return pass_second_factor(client, user)

    return _login


def browser_sign_in(page, base_url, user, next_path=""):
    """Sign in on the login page in the browser, with a backup code on the second step when the
    user's role asks for one; the page then shows `next_path` (or the dashboard)."""
    from accounts import services
    from accounts.selectors import user_has_second_factor, user_needs_second_factor

    code = None
    if user_needs_second_factor(user):
        if not user_has_second_factor(user):
            enrol_authenticator(user)
        code = services.backup_codes_regenerate(actor=user, user=user)[0]
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if code:
        page.wait_for_url(f"{base_url}/accounts/two-factor/**")
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base_url}{next_path or '/'}")
    return page


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, past the second factor the admin requires."""
    client.force_login(admin_user)
    return pass_second_factor(client, admin_user)


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


@pytest.fixture
def watched_page(page):
    """The page, with every CSP violation it meets recorded (console and DOM event): for any app's
    browser tests, checked with `tests.browser.csp.assert_no_violation`."""
    from tests.browser import csp

    console = []
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.add_init_script(csp.RECORD_VIOLATIONS)
    page.csp_console = console
    return page


@pytest.fixture(autouse=True)
def _browser_patience(request):
    """A loaded 2-core CI machine can take seconds to answer: every browser test waits up to
    15 s for an element or an expectation instead of Playwright's 5 s."""
    if not request.node.get_closest_marker("browser"):
        return
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    request.getfixturevalue("page").set_default_timeout(15_000)


# -- stories: an order placed, paid, shipped and delivered the way the system does it ----------

APPROVED_CARD = "4242424242424242"


@pytest.fixture
def place_order(db, django_capture_on_commit_callbacks):
    """Place an order (verified on commit, as in production) paid by `method` with `card`."""
    from orders.models import Order
    from orders.services import order_submit
    from payments.enums import AUTHORIZE_METHODS, PaymentMethod
    from payments.services import payment_details_set
    from tests.factories import make_order

    def _place(*, card: str | None = APPROVED_CARD, method: str = PaymentMethod.CARD, **kwargs) -> Order:
        order = make_order(payment_method=method, **kwargs)
        if card and method in AUTHORIZE_METHODS:
            payment_details_set(actor=None, order=order, card_number=card)
        with django_capture_on_commit_callbacks(execute=True):
            order_submit(actor=None, order=order)
        return Order.objects.get(pk=order.pk)

    return _place


@pytest.fixture
def warehouse(db):
    """The warehouse `ProductFactory` stocks."""
    from tests.factories import WarehouseFactory

    return WarehouseFactory()


@pytest.fixture
def carriers(db):
    """Parcel Express's service levels by code (ground, 2day, ...), as the demo sets them up."""
    from fulfillment.demo import carriers_ensure
    from fulfillment.models import ServiceLevel

    carriers_ensure()
    return {level.code: level for level in ServiceLevel.objects.select_related("carrier")
            .filter(carrier__code="parcel-express")}


@pytest.fixture
def release(django_capture_on_commit_callbacks, warehouse):
    """Release confirmed orders to the warehouse in a wave."""
    from fulfillment.services import wave_create
    from orders.models import Order

    def _release(order, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            wave_create(actor=actor, warehouse=warehouse, orders=[order])
        return Order.objects.get(pk=order.pk)

    return _release


@pytest.fixture
def pack(warehouse):
    """Open a shipment, scan `codes` ({code: qty}) or every line's SKU, add a package and close it."""
    from fulfillment import services

    def _pack(order, codes: dict[str, int] | None = None, actor=None):
        shipment = services.shipment_start(actor=actor, order=order, warehouse=warehouse)
        if codes is None:
            codes = {line.sku: line.quantity - line.quantity_shipped for line in order.lines.all()
                     if line.quantity > line.quantity_shipped}
        for code, qty in codes.items():
            services.shipment_scan(actor=actor, shipment=shipment, code=code, quantity=qty)
        services.package_add(actor=actor, shipment=shipment, weight_kg=Decimal("1.2"), length_cm=Decimal("30"),
                             width_cm=Decimal("20"), height_cm=Decimal("10"))
        return services.shipment_pack(actor=actor, shipment=shipment)

    return _pack


@pytest.fixture
def hand_over(django_capture_on_commit_callbacks, carriers):
    """Hand a packed shipment to the carrier (Parcel Express `service`), running the on-commit tasks."""
    from fulfillment.services import shipment_ship

    def _hand_over(shipment, service: str = "ground", actor=None, tracking_number: str = ""):
        with django_capture_on_commit_callbacks(execute=True):
            return shipment_ship(actor=actor, shipment=shipment, service_level=carriers[service],
                                 tracking_number=tracking_number)

    return _hand_over


@pytest.fixture
def ship(release, pack, hand_over):
    """Ship an order as the warehouse does: released in a wave (when confirmed), `quantities`
    ({order line id: units}; all that is left when None) packed into a real shipment, handed
    to the carrier."""
    from orders.enums import OrderStatus
    from orders.models import Order

    def _ship(order, quantities: dict[int, int] | None = None):
        if order.status == OrderStatus.CONFIRMED:
            order = release(order)
        codes = None
        if quantities is not None:
            skus = dict(order.lines.values_list("pk", "sku"))
            codes = {skus[line_id]: quantity for line_id, quantity in quantities.items()}
        hand_over(pack(order, codes))
        return Order.objects.get(pk=order.pk)

    return _ship


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """The order is delivered, running the on-commit tasks."""
    from orders.models import Order
    from orders.services import order_deliver

    def _deliver(order):
        with django_capture_on_commit_callbacks(execute=True):
            order_deliver(actor=None, order=order)
        return Order.objects.get(pk=order.pk)

    return _deliver
