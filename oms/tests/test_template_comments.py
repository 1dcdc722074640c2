"""Django's `{# #}` comment ends at the end of its line: one split over lines is shown to the user as text.

Found on the order list, where a two-line comment above the table was printed on every page.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNCLOSED = re.compile(r"\{#(?!.*#\})")


def _templates():
    return [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts and "staticfiles" not in p.parts]


def test_the_project_has_templates_to_check():
    assert len(_templates()) > 20


def test_no_template_comment_runs_past_its_line():
    unclosed = [f"{path.relative_to(ROOT)}:{number}"
                for path in _templates()
                for number, line in enumerate(path.read_text().splitlines(), 1)
                if UNCLOSED.search(line)]

    assert unclosed == []
