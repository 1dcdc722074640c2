"""CSV import as a worker job: the upload checks the file's shape and queues it, the worker imports
the orders that are fine in chunks and reports each bad row; re-running or re-uploading imports nothing twice."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from oms.models import DeferredTask
from orders import services
from orders.enums import BulkJobStatus, Channel, OrderStatus
from orders.models import ImportJob, Order, OrderLine
from orders.tasks import import_job_run_task, import_jobs_resume_stalled_task
from tests.exports import csv_rows
from tests.factories import ProductFactory, import_file, import_row, orders_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalogue(settings):
    settings.OMS_AUTO_VERIFY = False  # verification is not what these tests are about, and it is slow
    ProductFactory(sku="CHAIR-1", unit_price=Decimal("189.00"))
    ProductFactory(sku="LAMP-1", unit_price=Decimal("39.90"))


def upload(client, text, capture=None, *, name="orders.csv", channel=Channel.MARKETPLACE):
    """Post a file to the import page; with `capture`, the queued job runs as the commit's task would."""
    data = {"channel": channel, "file": SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text,
                                                           "text/csv")}
    if capture is None:
        return client.post(reverse("orders:order_import"), data)
    with capture(execute=True):
        return client.post(reverse("orders:order_import"), data)


def counts(job: ImportJob) -> tuple:
    job.refresh_from_db()
    return job.status, job.total, job.processed, job.orders_created, job.orders_skipped, job.orders_failed


def test_the_import_page_renders_and_states_what_happens_to_bad_rows(login, sales_user):
    page = login(sales_user).get(reverse("orders:order_import")).content.decode()
    assert "Rows that are fine are imported; the others are reported." in page


def test_a_2000_row_file_is_imported_by_the_worker_with_the_right_counts(
        login, sales_user, django_capture_on_commit_callbacks):
    client = login(sales_user)

    response = upload(client, orders_file(1000, lines=2, skus=("CHAIR-1", "LAMP-1")),
                      django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert counts(job) == (BulkJobStatus.DONE, 2000, 2000, 1000, 0, 0)
    assert job.chunks_done == 1000 // services.IMPORT_CHUNK and job.error_count == 0
    assert Order.objects.filter(channel=Channel.MARKETPLACE, status=OrderStatus.PLACED,
                                created_by=sales_user).count() == 1000
    assert OrderLine.objects.count() == 2000
    assert set(Order.objects.get(external_reference="MP-7").lines.values_list("sku", flat=True)) == {
        "CHAIR-1", "LAMP-1"}
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Done:" in page and "1000 created" in page and "hx-get" not in page  # finished: no more polling
    listed = client.get(reverse("orders:order_list"), {"import_job": job.pk}).content.decode()
    assert Order.objects.get(external_reference="MP-1000").number in listed


def test_bad_rows_are_reported_by_row_and_column_and_the_good_orders_are_imported(
        login, sales_user, django_capture_on_commit_callbacks):
    rows = [
        import_row("MP-1"),                                              # row 2: fine
        import_row("MP-2"), import_row("MP-2", sku="NOPE"),              # rows 3-4: a bad line spoils its order
        import_row("MP-3", customer_email="not-an-address"),             # row 5
        import_row("", sku="LAMP-1"),                                    # row 6: belongs to no order
        import_row("MP-4", quantity="two"),                              # row 7
        import_row("MP-5", payment_method="terms"),                      # row 8: a rule only the service knows
        import_row("MP-6", sku="LAMP-1", quantity="3"),                  # row 9: fine
    ]
    client = login(sales_user)

    upload(client, import_file(rows), django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert counts(job) == (BulkJobStatus.DONE, 8, 8, 2, 0, 5)
    assert set(Order.objects.values_list("external_reference", flat=True)) == {"MP-1", "MP-6"}
    problems = {(e.row, e.column): (e.external_reference, e.message) for e in job.errors.all()}
    assert problems[(4, "sku")] == ("MP-2", "no product on sale with SKU 'NOPE'")
    assert problems[(5, "customer_email")] == ("MP-3", "is not a valid e-mail address")
    assert problems[(6, "external_reference")] == ("", "is required")
    assert problems[(7, "quantity")][0] == "MP-4"
    assert problems[(8, "payment_method")] == ("MP-5", "Account terms are set by staff, not by an outside channel.")
    assert len(problems) == job.error_count == 5
    page = client.get(job.get_absolute_url()).content.decode()
    assert "no product on sale with SKU &#x27;NOPE&#x27;" in page and "2 created" in page and "5 not imported" in page
    download = csv_rows(client.get(reverse("orders:import_job_errors", args=[job.pk])))
    assert [(r["row"], r["column"]) for r in download] == [("4", "sku"), ("5", "customer_email"),
                                                          ("6", "external_reference"), ("7", "quantity"),
                                                          ("8", "payment_method")]


def test_uploading_the_same_file_again_skips_every_order(login, sales_user, django_capture_on_commit_callbacks):
    client = login(sales_user)
    text = orders_file(120, lines=2)
    upload(client, text, django_capture_on_commit_callbacks)
    numbers = set(Order.objects.values_list("number", flat=True))

    upload(client, text, django_capture_on_commit_callbacks)

    again = ImportJob.objects.order_by("pk").last()
    assert counts(again) == (BulkJobStatus.DONE, 240, 240, 0, 120, 0)
    assert set(Order.objects.values_list("number", flat=True)) == numbers
    listed = client.get(reverse("orders:order_list"), {"import_job": again.pk}).content.decode()
    assert Order.objects.get(external_reference="MP-120").number in listed  # the file's orders, though none is new


def test_a_task_delivered_twice_imports_each_order_once(sales_user):
    job = services.import_job_create(actor=sales_user, channel=Channel.MARKETPLACE, file_name="o.csv",
                                     text=orders_file(130))  # not run: nothing commits in this test

    import_job_run_task.delay(job_id=job.pk)
    import_job_run_task.delay(job_id=job.pk)  # the worker died before acknowledging it: delivered again

    assert counts(job) == (BulkJobStatus.DONE, 130, 130, 130, 0, 0)
    assert Order.objects.count() == 130 and job.orders.count() == 130


def test_a_worker_that_dies_mid_file_leaves_no_half_chunk_and_the_sweep_finishes_the_job(
        sales_user, django_capture_on_commit_callbacks):
    """A chunk that fails part-way is rolled back whole; the job stays started, and once it has shown
    no progress for a minute the sweep queues it again and it resumes at that chunk."""
    job = services.import_job_create(actor=sales_user, channel=Channel.MARKETPLACE, file_name="o.csv",
                                     text=orders_file(120))
    real_intake, calls = services.order_intake, []

    def dies_on_the_70th_order(**kwargs):
        calls.append(1)
        if len(calls) == 70:
            raise ConnectionError("worker lost its database")
        return real_intake(**kwargs)

    with mock.patch.object(services, "order_intake", dies_on_the_70th_order), pytest.raises(ConnectionError):
        services.import_job_run(job_id=job.pk)
    assert counts(job) == (BulkJobStatus.RUNNING, 120, 50, 50, 0, 0)
    assert Order.objects.count() == 50  # the second chunk's 19 orders went with it

    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_resume_stalled_task.delay().get() == 0  # not stalled yet
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_resume_stalled_task.delay().get() == 1

    assert counts(job) == (BulkJobStatus.DONE, 120, 120, 120, 0, 0)
    assert Order.objects.count() == 120


def test_an_import_that_fails_at_the_same_place_every_time_stops_and_says_where(
        sales_user, django_capture_on_commit_callbacks):
    """A fault no retry cures (a bug, a row that breaks the service) is not queued again every minute for
    ever: after IMPORT_MAX_RESUMES sweeps with no chunk committed the job ends, naming the row it stopped at."""
    job = services.import_job_create(actor=sales_user, channel=Channel.MARKETPLACE, file_name="o.csv",
                                     text=orders_file(120))
    real_intake, calls = services.order_intake, []

    def fails_from_the_60th_order(**kwargs):
        calls.append(1)
        if len(calls) >= 60:
            raise RuntimeError("a fault no retry cures")
        return real_intake(**kwargs)

    with mock.patch.object(services, "order_intake", fails_from_the_60th_order):
        for attempt in range(services.IMPORT_MAX_RESUMES + 1):
            with pytest.raises(RuntimeError):
                services.import_job_run(job_id=job.pk)
            ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=2))
            with django_capture_on_commit_callbacks(execute=False) as queued:
                again = services.import_jobs_resume_stalled()
            assert (again, len(queued)) == ((1, 1) if attempt < services.IMPORT_MAX_RESUMES else (0, 0)), attempt

    assert counts(job) == (BulkJobStatus.DONE, 120, 50, 50, 0, 0)
    [problem] = job.errors.all()
    assert problem.row == 52 and "stopped here" in problem.message
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert services.import_jobs_resume_stalled() == 0


def test_with_the_broker_down_the_upload_leaves_a_queued_job_that_the_sweep_runs(
        login, sales_user, django_capture_on_commit_callbacks):
    client = login(sales_user)
    with mock.patch.object(import_job_run_task, "apply_async", side_effect=OperationalError("broker down")):
        response = upload(client, orders_file(3), django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert counts(job) == (BulkJobStatus.PENDING, 3, 0, 0, 0, 0) and not Order.objects.exists()
    assert DeferredTask.objects.filter(task_name=import_job_run_task.name).count() == 1
    assert "Waiting for a worker" in client.get(job.get_absolute_url()).content.decode()

    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))
    with django_capture_on_commit_callbacks(execute=True):
        import_jobs_resume_stalled_task.delay()

    assert counts(job) == (BulkJobStatus.DONE, 3, 3, 3, 0, 0)


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not CSV text in UTF-8"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5\x9a", "not CSV text in UTF-8"),  # an .xlsx workbook
    (b"x" * (5 * 1024 * 1024 + 1), "larger than 5 MB"),
    (b"sku,quantity\nCHAIR-1,1\n", "missing columns: external_reference, customer_email"),
    (b"external_reference,sku\n" + b"x" * 200000 + b",1\n", "not readable as CSV"),
    (orders_file(1).encode().replace(b"CHAIR-1", b"CHAIR\x00-1"), "NUL characters"),
    (import_file([]).encode(), "no orders"),
    (orders_file(20001).encode(), "20,001 rows; at most 20,000"),
])
def test_a_file_of_the_wrong_shape_is_refused_with_a_reason_and_queues_nothing(login, sales_user, content, message):
    response = upload(login(sales_user), content)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_warehouse_cannot_import_nor_see_someone_elses_import(login, sales_user, warehouse_user, manager_user):
    job = services.import_job_create(actor=sales_user, channel=Channel.MARKETPLACE, file_name="o.csv",
                                     text=orders_file(1))

    assert upload(login(warehouse_user), orders_file(1)).status_code == 403
    assert login(manager_user).get(job.get_absolute_url()).status_code == 404
    assert login(manager_user).get(reverse("orders:import_job_errors", args=[job.pk])).status_code == 404
    assert ImportJob.objects.count() == 1


def test_the_polled_progress_is_the_part_alone_in_few_queries(login, sales_user, django_assert_max_num_queries):
    job = services.import_job_create(actor=sales_user, channel=Channel.MARKETPLACE, file_name="big.csv",
                                     text=orders_file(40))  # queued: the worker has not started
    client = login(sales_user)

    with django_assert_max_num_queries(6):
        part = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()

    assert part.lstrip().startswith('<div id="import-job"') and 'hx-trigger="every 1s"' in part
    assert "0 of 40 rows read" in part


def test_the_admin_lists_import_jobs_and_their_problems_read_only(admin_client, sales_user,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_create(actor=sales_user, channel=Channel.MARKETPLACE, file_name="o.csv",
                                         text=import_file([import_row("MP-1", sku="NOPE")]))

    listing = admin_client.get(reverse("admin:orders_importjob_changelist"))
    detail = admin_client.get(reverse("admin:orders_importjob_change", args=[job.pk]))
    problems = admin_client.get(reverse("admin:orders_importjoberror_changelist"), {"job__id__exact": job.pk})

    assert listing.status_code == detail.status_code == problems.status_code == 200
    assert "1 problem(s)" in detail.content.decode() and "NOPE" in problems.content.decode()
    assert admin_client.get(reverse("admin:orders_importjob_add")).status_code == 403
