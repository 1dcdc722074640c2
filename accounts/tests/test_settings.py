"""Production asks a second factor of finance, managers and admins unless told otherwise;
development asks nobody, so the demo logins of `make run` work as printed."""

from oms.tests.test_settings import run_manage

PRODUCTION = {"OMS_ENV": "production", "SECRET_KEY": "x" * 30 + "-a-real-production-secret-key-0123456789",
              "ALLOWED_HOSTS": "oms.example.com"}
PRINT_ROLES = "from django.conf import settings; print(','.join(settings.OMS_TWO_FACTOR_ROLES) or '-')"


def two_factor_roles(**env) -> str:
    result = run_manage("shell", "-c", PRINT_ROLES, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_production_asks_finance_managers_and_admins():
    assert two_factor_roles(**PRODUCTION) == "finance,manager,admin"


def test_development_asks_nobody_unless_set():
    assert two_factor_roles(OMS_ENV="development") == "-"
    assert two_factor_roles(OMS_ENV="development", OMS_TWO_FACTOR_ROLES="sales,finance") == "sales,finance"
