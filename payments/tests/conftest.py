import pytest

APPROVED = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
EXPIRED = "4000000000000069"
FRAUD = "4100000000000019"
SLOW = "4000000000000119"


@pytest.fixture(autouse=True)
def _payments_test_settings(settings):
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01


@pytest.fixture
def stripe_api(settings):
    """The Stripe gateway, pointed at a local fake Stripe API (see fake_stripe.py)."""
    from payments.tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe

    fake = FakeStripe()
    settings.OMS_PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_BASE = fake.start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_TIMEOUT = 0.5
    yield fake
    fake.stop()
