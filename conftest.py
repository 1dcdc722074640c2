"""Shared test set-up.

Tests that need a service (PostgreSQL, Redis, a Celery worker, the browser) are marked
and skip with a reason when it is missing. With CI=true a skip is a failure: CI has
every service, so a skip there means something is broken.
"""

import os

import pytest

pytest_plugins = ["tests.fixtures"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, where every service must be present: {reason}"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    from tests.environment import chromium_path, redis_available

    missing = {}
    if not settings.USING_POSTGRES:
        missing["postgres"] = "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms"
    if not redis_available():
        missing["redis"] = "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 with a server running"
        missing["celery_worker"] = missing["redis"]
    if chromium_path() is None:
        missing["browser"] = "needs Debian's chromium (apt-get install chromium)"
    for item in items:
        for marker, reason in missing.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))
