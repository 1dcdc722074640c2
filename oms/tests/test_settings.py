"""Production mode refuses unsafe settings, and `check --deploy` is clean in it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "OMS_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_production_refuses_the_development_secret_key():
    result = run_manage("check", OMS_ENV="production", ALLOWED_HOSTS="oms.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_in_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", OMS_ENV="production",
                        SECRET_KEY="x" * 30 + "-a-real-production-secret-key-0123456789",
                        ALLOWED_HOSTS="oms.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_on_stripe_names_each_stripe_setting_it_lacks():
    production = {"OMS_ENV": "production", "SECRET_KEY": "x" * 30 + "-a-real-production-secret-key-0123456789",
                  "ALLOWED_HOSTS": "oms.example.com", "OMS_PAYMENT_GATEWAY": "stripe"}
    result = run_manage("check", **production, STRIPE_SECRET_KEY="sk_live_x")
    assert result.returncode != 0
    assert "STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_JS_URL" in result.stderr
    assert "sk_live_x" not in result.stderr
    complete = run_manage("check", **production, STRIPE_SECRET_KEY="sk_live_x", STRIPE_PUBLISHABLE_KEY="pk_live_x",
                          STRIPE_WEBHOOK_SECRET="whsec_x", STRIPE_JS_URL="https://js.stripe.com/v3/")
    assert complete.returncode == 0, complete.stderr


def test_debug_off_with_the_development_key_is_refused_even_outside_production():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_links_in_e_mails_follow_the_port_the_app_serves_on():
    show = ("shell", "-c", "from django.conf import settings; print(settings.OMS_SITE_URL)")
    environment = {k: v for k, v in os.environ.items() if k not in {"OMS_SITE_URL", "PORT"}}
    with_port = subprocess.run([sys.executable, "manage.py", *show], cwd=ROOT, capture_output=True, text=True,
                               timeout=120, env={**environment, "PORT": "8101"})
    declared = subprocess.run([sys.executable, "manage.py", *show], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env={**environment, "PORT": "8101", "OMS_SITE_URL": "https://oms.example.com"})

    assert with_port.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8101", with_port.stderr
    assert declared.stdout.strip().splitlines()[-1] == "https://oms.example.com", declared.stderr
