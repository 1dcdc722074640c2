"""CSV import jobs under real concurrency (PostgreSQL, one connection per thread)."""

from decimal import Decimal
from unittest import mock

import pytest

from orders import services
from orders.enums import BulkJobStatus, Channel
from orders.models import ImportJob, ImportJobOrder, Order
from orders.tasks import import_job_run_task
from tests.concurrency import run_together
from tests.factories import ProductFactory, orders_file

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_job(settings, sales_user):
    """An import job of `orders` one-line orders, committed and not run (the task is sent nowhere)."""
    settings.OMS_AUTO_VERIFY = False
    ProductFactory(sku="CHAIR-1", unit_price=Decimal("10.00"))

    def make(orders: int) -> ImportJob:
        with mock.patch.object(import_job_run_task, "apply_async"):
            return services.import_job_create(actor=sales_user, channel=Channel.MARKETPLACE, file_name="o.csv",
                                              text=orders_file(orders))

    return make


def test_two_deliveries_of_one_job_at_once_import_each_chunk_once(new_job):
    """The chunk claim (the job row locked with its `chunks_done`) lets only one run import a chunk:
    without it both would import, and the counts would add up to twice the file."""
    job = new_job(130)  # three chunks

    results = run_together([lambda: services.import_job_run(job_id=job.pk)] * 2)

    assert all(isinstance(result, ImportJob) for result in results), results
    job.refresh_from_db()
    assert (job.status, job.processed, job.orders_created, job.orders_skipped, job.orders_failed) == (
        BulkJobStatus.DONE, 130, 130, 0, 0)
    assert Order.objects.count() == 130 == ImportJobOrder.objects.filter(job=job).count()


def test_the_same_file_imported_twice_at_once_creates_each_order_once(new_job):
    """Two uploads of one file racing: each order is created by one job and skipped by the other
    (the unique external reference per channel decides), and neither job fails."""
    first, second = new_job(60), new_job(60)

    results = run_together([lambda: services.import_job_run(job_id=first.pk),
                            lambda: services.import_job_run(job_id=second.pk)])

    assert all(isinstance(result, ImportJob) for result in results), results
    assert Order.objects.count() == 60
    jobs = list(ImportJob.objects.order_by("pk"))
    assert all(j.status == BulkJobStatus.DONE and j.orders_failed == 0 for j in jobs)
    assert sum(j.orders_created for j in jobs) == 60 and sum(j.orders_skipped for j in jobs) == 60
