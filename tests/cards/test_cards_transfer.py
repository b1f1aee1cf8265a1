"""Export to a file Anki imports; import CSV (front, back, tags) with every bad row reported, all or nothing."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quizsite.cards.models import Deck, PersonalCard
from quizsite.cards.services import CardFilter
from quizsite.cards.transfer import ImportFailed, export_cards, import_cards, parse_cards
from quizsite.questions.models import Question

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "front,back,tags\n"
    "What is P99?,The latency 99% of requests beat.,latency p99\n"
    '"Little\'s law, in symbols?","L = λ × W\n\n(averages only)",queueing\n'
    "Why ramp up users?,To find the knee,\n"
).encode()


def _rows(text: str) -> list[list[str]]:
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return list(csv.reader(io.StringIO(body), delimiter="\t"))


def test_export_has_anki_headers_and_one_row_per_card(learner):
    """The file starts with Anki's headers; each card is Front, Back (HTML on one line) and Tags."""
    card_filter = CardFilter(deck="topic:latency")
    cards = card_filter.cards(learner)
    text = export_cards(cards, "latency")
    lines = text.splitlines()
    assert lines[:5] == ["#separator:tab", "#html:true", "#deck:Breaking Point::latency",
                         "#columns:Front\tBack\tTags", "#tags column:3"]
    rows = _rows(text)
    # Questions bound to a lab run's numbers are asked on the lab page, not as cards.
    latency = [q for q in Question.objects.live().filter(topic__slug="latency") if not q.uses_run_variables]
    assert len(rows) == len(cards) == len(latency)
    p99 = next(row for row in rows if "What is P99" in row[0])
    assert len(p99) == 3
    assert "Model answer" in p99[1]
    assert p99[2].split()[0] == "latency"
    assert all("\n" not in cell for row in rows for cell in row)


def test_export_download_from_the_decks_page(learner_client):
    """The export link downloads a .txt attachment."""
    response = learner_client.get(reverse("cards-export"), {"deck": "topic:latency"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="breaking-point-latency.txt"'
    assert response.content.decode().startswith(
        "#separator:tab\n#html:true\n#deck:Breaking Point::Latency percentiles and tail latency\n")


def test_exporting_someone_elses_deck_is_a_404(learner_client, other_learner):
    """Personal decks are private."""
    deck = Deck.default_for(other_learner)
    assert learner_client.get(reverse("cards-export"), {"deck": deck.key}).status_code == 404


def test_import_csv_creates_every_card_in_the_deck(learner):
    """A good CSV becomes personal cards in the named deck, with Markdown, newlines and tags kept."""
    cards = import_cards(learner, "Interview", GOOD_CSV)
    assert len(cards) == 3
    stored = {c.front: c for c in PersonalCard.objects.filter(user=learner)}
    assert stored["What is P99?"].tag_list == ["latency", "p99"]
    assert stored["Little's law, in symbols?"].back == "L = λ × W\n\n(averages only)"
    assert stored["Why ramp up users?"].tag_list == []
    assert {c.deck.name for c in stored.values()} == {"Interview"}


def test_import_then_export_then_import_round_trips(learner, other_learner):
    """A deck imported from CSV, exported for Anki and imported again (by another learner) has the same
    cards: same faces as rendered, same tags."""
    import_cards(learner, "Interview", GOOD_CSV)
    deck = Deck.objects.get(user=learner, name="Interview")
    original = CardFilter(deck=deck.key).cards(learner)
    exported = export_cards(original, deck.name)
    assert [row[2] for row in _rows(exported)] == ["latency p99", "queueing", ""]
    import_cards(other_learner, "From Anki", exported.encode())
    copy = CardFilter(deck=Deck.objects.get(user=other_learner, name="From Anki").key).cards(other_learner)
    assert [(c.front_html(), c.back_html(), c.tags) for c in copy] == \
        [(c.front_html(), c.back_html(), c.tags) for c in original]


def test_every_bad_row_is_reported_and_nothing_is_imported(learner):
    """Each bad row is listed with its row number and reason; the good rows are not imported either."""
    add_csv = (
        "front,back,tags\n"           # 1: header
        "Good card,Fine,ok\n"         # 2
        "Only a front\n"              # 3
        ",No front\n"                 # 4
        "No back,\n"                  # 5
        "a,b,c,d\n"                   # 6
        "\n"                          # 7: blank, skipped
        "Good card,Again,dup\n"       # 8
        f"{'x' * 5001},long\n"        # 9
    ).encode()
    with pytest.raises(ImportFailed) as failure:
        import_cards(learner, "Personal", add_csv)
    assert [(e.row, e.reason) for e in failure.value.errors] == [
        (3, "expected front, back and optional tags, but found only one column"),
        (4, "the front is empty"),
        (5, "the back is empty"),
        (6, "expected at most 3 columns (front, back, tags), found 4"),
        (8, "the same front as row 2"),
        (9, "the front is longer than 5,000 characters"),
    ]
    assert not PersonalCard.objects.exists()


def test_row_numbers_count_lines_of_quoted_multiline_fields(learner):
    """A quoted back over three lines moves the next row's number by three."""
    data = b'First,"line one\nline two\nline three"\n,missing front\n'
    with pytest.raises(ImportFailed) as failure:
        parse_cards(data)
    assert [(e.row, e.reason) for e in failure.value.errors] == [(4, "the front is empty")]


def test_cards_you_already_have_are_reported(learner):
    """A front already in your cards is a bad row, named with its deck."""
    import_cards(learner, "Interview", GOOD_CSV)
    with pytest.raises(ImportFailed) as failure:
        import_cards(learner, "Personal", b"New one,Back\nWhat is P99?,Again\n")
    assert [str(e) for e in failure.value.errors] == ["Row 2: you already have a card with this front (in Interview)"]
    assert PersonalCard.objects.filter(user=learner).count() == 3


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (b"", "no cards"),
    (b"front,back\n", "no cards"),
])
def test_unreadable_files_are_reported(learner, data, message):
    """Files that are not UTF-8 text, or hold no cards, are refused with a reason."""
    with pytest.raises(ImportFailed) as failure:
        parse_cards(data)
    assert message in str(failure.value)


def test_import_page_lists_the_errors_and_keeps_nothing(learner_client, learner):
    """Uploading a bad file shows each row's problem on the page with a 400."""
    upload = SimpleUploadedFile("cards.csv", b"Good,Fine\nBroken\n", content_type="text/csv")
    response = learner_client.post(reverse("cards-import"), {"file": upload, "deck": "Personal"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported." in html
    assert "Row 2: expected front, back and optional tags, but found only one column" in html
    assert not PersonalCard.objects.exists()


def test_import_page_imports_a_good_file(learner_client, learner):
    """A good upload lands in the deck and the learner is told how many cards came in."""
    upload = SimpleUploadedFile("cards.csv", GOOD_CSV, content_type="text/csv")
    response = learner_client.post(reverse("cards-import"), {"file": upload, "deck": "Interview"}, follow=True)
    assert "Imported 3 cards into Interview." in response.content.decode()
    assert PersonalCard.objects.filter(user=learner, deck__name="Interview").count() == 3
