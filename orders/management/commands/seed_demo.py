import importlib
import random

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from orders import demo

APPS_WITH_DEMO_DATA = ["inventory", "payments", "fulfillment", "returns"]


def _hooks(name: str):
    for app in APPS_WITH_DEMO_DATA:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.demo":
                raise
            continue
        hook = getattr(module, name, None)
        if hook is not None:
            yield app, hook


class Command(BaseCommand):
    help = "Load demo data (idempotent): staff for each role, a catalogue, customers, orders in every status."

    def handle(self, *args, **options):
        rng = random.Random(20261122)
        demo.seed_users(stdout=self.stdout)
        demo.seed_saved_views(stdout=self.stdout)
        demo.seed_catalogue(stdout=self.stdout)
        demo.seed_customers(rng=rng, stdout=self.stdout)
        for app, hook in _hooks("before_orders"):
            hook(stdout=self.stdout)
        # Verification is driven step by step here rather than by the background task, and
        # the demo's own e-mails (hundreds of them) are not printed to the console.
        with override_settings(OMS_AUTO_VERIFY=False,
                               EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            created = demo.seed_orders(rng=rng, stdout=self.stdout)
            for app, hook in _hooks("after_orders"):
                hook(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready ({created} new orders)." if created else "Demo data already loaded."))
        self.stdout.write("")
        self.stdout.write(f"Back-office: {settings.OMS_SITE_URL}/   Django admin: {settings.OMS_SITE_URL}/admin/")
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, _, description in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<10} {description}")
