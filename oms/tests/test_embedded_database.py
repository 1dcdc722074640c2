"""`make run` uses SQLite: every migration must apply there too, whatever the tests' database is.

CI runs the suite on PostgreSQL, so an index SQLite cannot build (NULLS LAST in an index, say) would pass
CI and break `make run` on a fresh clone; this test migrates a new SQLite file from nothing.
"""

from oms.tests.test_settings import run_manage


def test_every_migration_applies_to_a_new_sqlite_database(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    result = run_manage("migrate", "--noinput", DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "No migrations to apply" not in result.stdout
