"""Reading a downloaded export back in tests."""

import csv
import io


def csv_rows(response) -> list[dict]:
    """The rows of a streamed CSV export, by header (after checking it is one)."""
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))
