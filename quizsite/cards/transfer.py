"""Decks in and out: export to a text file Anki imports, import CSV (front, back, tags) all or nothing."""

import csv
import io
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from quizsite.cards.models import Deck, PersonalCard, front_digest, normalise_tags
from quizsite.cards.services import MAX_BACK, MAX_FRONT, CardFilter, FlashCard
from quizsite.lib.exports import html_field, plain_tag
from quizsite.lib.text import forbidden_character
from quizsite.questions.models import Topic

MAX_ROWS = 2000
MAX_TAGS_LENGTH = 900
SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " ", "colon": ":"}


# -- export ----------------------------------------------------------------------------------------------

def _field(html: str) -> str:
    """One line of HTML per field: Anki reads a row per line (quoted newlines work, but lines are safer)."""
    html = re.sub(r">\s*\n\s*<", "><", html.strip())
    return html.replace("\r", "").replace("\n", "<br>").replace("\t", " ")


def export_names(card_filter: CardFilter, user) -> tuple[str, str]:
    """The file's name part and the Anki deck the cards go into."""
    if card_filter.topic_slug:
        topic = Topic.objects.filter(slug=card_filter.topic_slug).first()
        # The file name goes into a header: only a slug of what the query asked for (no quotes or newlines).
        return slugify(card_filter.topic_slug) or "topic", topic.name if topic else card_filter.topic_slug
    if card_filter.personal_deck_id is not None:
        deck = Deck.objects.filter(user=user, pk=card_filter.personal_deck_id).first()
        return (slugify(deck.name) or "personal", deck.name) if deck else ("personal", "Personal")
    return "all-cards", "All cards"


def export_cards(cards: list[FlashCard], deck_name: str) -> str:
    """Anki's "Notes in plain text" format: tab separated, HTML fields, Front/Back/Tags columns; no cell
    starts like a spreadsheet formula (the file is also opened in spreadsheets)."""
    out = io.StringIO()
    out.write("#separator:tab\n#html:true\n")
    out.write(f"#deck:Breaking Point::{' '.join(deck_name.replace(':', ' ').split())}\n")
    out.write("#columns:Front\tBack\tTags\n#tags column:3\n")
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for card in cards:
        writer.writerow([html_field(_field(card.front_html())), html_field(_field(card.back_html())),
                         " ".join(plain_tag(tag) for tag in card.tags)])
    return out.getvalue()


# -- import ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int
    reason: str

    def __str__(self) -> str:
        return f"Row {self.row}: {self.reason}" if self.row else self.reason


class ImportFailed(Exception):
    """Every problem in the file at once; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ParsedCard:
    row: int
    front: str
    back: str
    tags: list[str]


def _headers(lines: list[str]) -> tuple[str, int]:
    """Anki-style "#key:value" header lines at the top: the separator they name and how many there are."""
    separator = ","
    count = 0
    for line in lines:
        if not line.startswith("#"):
            break
        count += 1
        key, _, value = line[1:].partition(":")
        if key.strip().lower() == "separator":
            value = value.strip()
            separator = SEPARATORS.get(value.lower(), value[:1] or ",")
    return separator, count


def parse_cards(data: bytes) -> list[ParsedCard]:
    """Rows of front, back and optional tags (space separated). A first row "front,back[,tags]" is a
    header. Raises ImportFailed with every bad row: its number (as a spreadsheet counts) and the reason."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([RowError(0, "The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")]) from None
    lines = text.splitlines()
    separator, skipped = _headers(lines)
    reader = csv.reader(io.StringIO("\n".join(lines[skipped:])), delimiter=separator)
    errors: list[RowError] = []
    cards: list[ParsedCard] = []
    seen: dict[str, int] = {}
    line = 0
    try:
        for record in reader:
            row = skipped + line + 1
            line = reader.line_num
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if not cards and not errors and [c.lower() for c in cells[:3]] in (["front", "back"],
                                                                             ["front", "back", "tags"]):
                continue
            problem = _row_problem(cells)
            if problem:
                errors.append(RowError(row, problem))
                continue
            front, back = cells[0], cells[1]
            digest = front_digest(front)
            if digest in seen:
                errors.append(RowError(row, f"the same front as row {seen[digest]}"))
                continue
            seen[digest] = row
            cards.append(ParsedCard(row, front, back, normalise_tags(cells[2] if len(cells) > 2 else "")))
    except csv.Error as error:
        errors.append(RowError(skipped + reader.line_num, f"the file could not be read as CSV ({error})"))
    if len(cards) + len(errors) > MAX_ROWS:
        errors.insert(0, RowError(0, f"The file has more than {MAX_ROWS:,} rows; split it into smaller files."))
    if not cards and not errors:
        errors.append(RowError(0, "The file has no cards: each row needs a front and a back."))
    if errors:
        raise ImportFailed(errors)
    return cards


def _row_problem(cells: list[str]) -> str:
    if len(cells) < 2:
        return "expected front, back and optional tags, but found only one column"
    if len(cells) > 3:
        return f"expected at most 3 columns (front, back, tags), found {len(cells)}"
    for name, cell in zip(("front", "back", "tags"), cells):
        found = forbidden_character(cell)
        if found:
            return f"the {name} contains a control character ({found}); remove it"
    front, back = cells[0], cells[1]
    if not front:
        return "the front is empty"
    if not back:
        return "the back is empty"
    if len(front) > MAX_FRONT:
        return f"the front is longer than {MAX_FRONT:,} characters"
    if len(back) > MAX_BACK:
        return f"the back is longer than {MAX_BACK:,} characters"
    if len(cells) > 2 and len(" ".join(normalise_tags(cells[2]))) > MAX_TAGS_LENGTH:
        return "too many tags"
    return ""


def import_cards(user, deck_name: str, data: bytes) -> list[PersonalCard]:
    """Every row becomes a personal card in the named deck, or (any bad row) none does."""
    parsed = parse_cards(data)
    existing = dict(PersonalCard.objects.filter(user=user, front_hash__in=[front_digest(c.front) for c in parsed])
                    .values_list("front_hash", "deck__name"))
    errors = [RowError(c.row, f"you already have a card with this front (in {existing[front_digest(c.front)]})")
              for c in parsed if front_digest(c.front) in existing]
    if errors:
        raise ImportFailed(errors)
    try:
        with transaction.atomic():
            deck, _ = Deck.objects.get_or_create(user=user, name=deck_name.strip() or "Personal")
            cards = []
            for item in parsed:
                card = PersonalCard(user=user, deck=deck, front=item.front, back=item.back,
                                    front_hash=front_digest(item.front), source="import")
                card.set_tags(item.tags)
                cards.append(card)
            return PersonalCard.objects.bulk_create(cards)
    except IntegrityError:
        raise ImportFailed([RowError(0, "Some of these cards were added meanwhile; nothing was imported. "
                                        "Try again.")]) from None
