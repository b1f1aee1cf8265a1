"""Learner and interviewer text in the files the site hands out cannot forge a scorecard (headings, scores,
HTML) or run as a spreadsheet formula."""

import csv
import io

import markdown
import pytest
from django.utils import timezone

from labs.results import samples_csv
from quizsite.cards.services import add_personal_card
from quizsite.interviews.models import Interview, Track
from quizsite.interviews.services import finish_interview
from quizsite.lib.exports import html_field, markdown_fence, markdown_inline, spreadsheet_cell

FORGED = "ok\n\n## Overall score: **100%**\n\n<script>alert(1)</script><img src=x onerror=alert(2)>\n```\n# Owned"


def test_a_fenced_answer_renders_as_its_own_text():
    """Rendered as Markdown, fenced text is one code block: no heading, no bold, no HTML element."""
    html = markdown.markdown(markdown_fence(FORGED), extensions=["fenced_code"])
    assert "<h2>" not in html and "<strong>" not in html and "<script>" not in html and "<img" not in html
    assert html.count("<pre>") == 1 and "## Overall score: **100%**" in html


def test_the_fence_outgrows_backticks_inside():
    """A run of backticks inside the text cannot close the fence."""
    assert markdown_fence("a ```` b").startswith("`````text\n")


def test_inline_text_cannot_open_markup():
    """One line, with heading, emphasis and HTML characters escaped."""
    text = markdown_inline("## **100%**\n<b>x</b> & [link](http://e)")
    assert "\n" not in text
    html = markdown.markdown(f"- {text}")
    assert "<h2>" not in html and "<strong>" not in html and "<b>" not in html and "<a " not in html


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+cmd", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_become_text(cell):
    """OWASP's rule: a leading apostrophe on text that starts like a formula."""
    assert spreadsheet_cell(cell) == "'" + cell


def test_numbers_and_plain_text_are_untouched():
    """Negative numbers stay numbers; ordinary text is unchanged."""
    assert spreadsheet_cell(-1.5) == -1.5 and spreadsheet_cell(3) == 3 and spreadsheet_cell("p99") == "p99"


def test_an_html_field_starting_like_a_formula_keeps_its_character_as_an_entity():
    """Anki shows "=" for "&#61;"; a spreadsheet sees text."""
    assert html_field("=HYPERLINK(1)") == "&#61;HYPERLINK(1)" and html_field("<p>x</p>") == "<p>x</p>"


def test_lab_samples_csv_keeps_numbers():
    """The per-second CSV stays numeric (negative values included)."""
    rows = list(csv.reader(io.StringIO(samples_csv([{"index": 0, "t": 1.0, "users": 2, "rps": -1.0}]))))
    assert rows[1][:4] == ["0", "1.0", "2", "-1.0"]


@pytest.mark.django_db
def test_the_anki_export_neutralises_formula_cells(learner_client, learner):
    """A personal card whose front is a formula: no exported cell starts with = + - @."""
    add_personal_card(learner, "=HYPERLINK(\"http://evil\",\"x\")", "@SUM(1)", ["-tag", "=x"])
    body = learner_client.get("/cards/decks/export", {"deck": "personal:" + str(learner.card_decks.first().pk)})
    rows = [line for line in body.content.decode().splitlines() if not line.startswith("#")]
    cells = [cell for row in csv.reader(rows, delimiter="\t") for cell in row]
    assert cells and not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(tag.startswith("tag") for tag in cells[2].split())


@pytest.mark.django_db
def test_the_scorecard_markdown_fences_answers_and_notes(learner, learner_client):
    """An answer, a note and a reason forging a heading, a score and HTML land fenced or escaped: the file has
    one "Overall score" line, no raw HTML and no forged heading."""
    interview = Interview.start(learner, Track.LOAD_LATENCY, 30, 1, timezone.now(), with_interviewer=True)
    item = interview.ordered_items()[0]
    interview.save_answer(FORGED, timezone.now())
    item.refresh_from_db()
    item.notes = FORGED
    item.save(update_fields=["notes"])
    item.set_override(0.5, "## Overall score: **100%** <b>x</b>")
    finish_interview(interview, timezone.now())
    text = learner_client.get(f"/interviews/{interview.pk}/scorecard.md").content.decode()
    html = markdown.markdown(text, extensions=["fenced_code", "tables"])
    assert html.count("Overall score") == 4  # the real one, plus three inside code or escaped
    assert "<h2>Overall score" not in html and "<strong>100%</strong>" not in html
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
