"""Control characters (NUL above all, a 500 on PostgreSQL before) are refused with a 400 naming the field,
in every text field the OpenAPI schema lists, in the site's forms and in a CSV import; nothing is stored."""

import io
import json

import pytest
from django.utils import timezone

from exercises.models import Exercise, Submission, SubmissionStatus
from labs.models import Lab, LabRun, RunStatus
from quizsite.cards.models import PersonalCard
from quizsite.interviews.models import Interview, Track
from quizsite.lib.text import control_character_message, find_in_data, forbidden_character
from quizsite.quizzes.models import Attempt, Quiz

pytestmark = pytest.mark.django_db

BAD = ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\ud800b"]


@pytest.mark.parametrize("text", BAD)
def test_forbidden_characters_are_named(text):
    """Each forbidden character is reported as its code point."""
    assert forbidden_character(text) == f"U+{ord(text[1]):04X}"
    assert "control character" in control_character_message(text)


def test_newline_tab_and_carriage_return_are_fine():
    """Multi-line text keeps its tabs and line breaks; ordinary Unicode is untouched."""
    assert forbidden_character("line one\r\n\tline two – ü, 日本, 🙂") is None


def test_find_in_data_names_nested_paths_and_keys():
    """JSON strings are found by dotted path, in lists, nested objects and keys."""
    data = {"answer": ["ok", "a\x00b"], "api": {"note": "x\x01"}, "k\x02": 1, "fine": "text\n"}
    assert set(find_in_data(data)) == {"answer.1", "api.note", "k\x02"}


# -- the API: every text field of every request body and query string in the schema ----------------------

def _resolve(schema: dict, components: dict) -> dict:
    if "$ref" in schema:
        return _resolve(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return {**_resolve(schema["allOf"][0], components), **{k: v for k, v in schema.items() if k != "allOf"}}
    return schema


def _text_fields(schema: dict, components: dict) -> list[tuple[str, object]]:
    """(path, value carrying NUL) for every string-valued field: typed strings, string enums, lists of
    strings, untyped fields (any JSON) and the values of free-form objects."""
    fields = []
    for name, prop in _resolve(schema, components).get("properties", {}).items():
        prop = _resolve(prop, components)
        kind = prop.get("type")
        if kind == "string" or kind is None:
            fields.append((name, {name: "a\x00b"}))
        elif kind == "array" and _resolve(prop.get("items", {}), components).get("type") in ("string", None):
            fields.append((f"{name}.0", {name: ["a\x00b"]}))
        elif kind == "object":
            fields.append((f"{name}.note", {name: {"note": "a\x00b"}}))
    return fields


def _schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def path_values(learner):
    """A real object of the learner's for every path parameter, so each request reaches its parser."""
    quiz = Quiz.objects.curated().first()
    lab = Lab.objects.live().first()
    interview = Interview.start(learner, Track.LOAD_LATENCY, 30, 2, timezone.now())
    attempt = Attempt.start(quiz, "practice", learner, "", timezone.now())
    run = LabRun.objects.create(lab=lab, user=learner, status=RunStatus.SUCCEEDED, config={},
                                created_at=timezone.now())
    question = quiz.ordered_questions()[0]
    exercise = Exercise.objects.order_by("position").first()
    submission = Submission.objects.create(exercise=exercise, user=learner, source="", status=SubmissionStatus.PASSED,
                                           created_at=timezone.now())
    by_path = {
        "/api/v1/attempts/{id}": attempt.pk, "/api/v1/interviews/{id}": interview.pk,
        "/api/v1/runs/{id}": run.pk, "/api/v1/labs/{slug}": lab.slug, "/api/v1/questions/{slug}": question.slug,
        "/api/v1/quizzes/{slug}": quiz.slug, "/api/v1/cards/{card_id}": f"q-{question.slug}",
        "/api/v1/exercises/{slug}": exercise.slug, "/api/v1/submissions/{id}": submission.pk,
    }

    def fill(path: str) -> str:
        for prefix, value in by_path.items():
            if path.startswith(prefix):
                name = prefix.rsplit("{", 1)[1].rstrip("}")
                path = path.replace("{" + name + "}", str(value))
        return path

    return fill


def test_every_text_field_in_the_schema_refuses_control_characters(api_client, learner, path_values):
    """For each operation's JSON body and string query parameter, NUL in one field is a 400 naming it."""
    schema = _schema(api_client)
    components = schema["components"]["schemas"]
    api_client.force_authenticate(learner)
    checked = []
    for path, operations in schema["paths"].items():
        url = path_values(path)
        assert "{" not in url, f"no test object for {path}"
        for method, operation in operations.items():
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            for field, data in _text_fields(body["schema"], components) if body else []:
                response = getattr(api_client, method)(url, data, format="json")
                assert response.status_code == 400, (method, path, field, response.content)
                assert field in response.json()["fields"], (method, path, field, response.json())
                checked.append(f"{method} {path} {field}")
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["schema"].get("type") == "string":
                    response = api_client.get(url, {parameter["name"]: "a\x00b"})
                    assert response.status_code == 400, (path, parameter["name"], response.content)
                    assert parameter["name"] in response.json()["fields"]
                    checked.append(f"get {path} ?{parameter['name']}")
    assert len(checked) >= 20, checked


def test_the_token_endpoint_refuses_nul_without_a_500(api_client):
    """The unauthenticated token endpoint refuses a NUL username as a field error."""
    response = api_client.post("/api/v1/auth/token", {"username": "a\x00", "password": "x"}, format="json")
    assert response.status_code == 400 and "username" in response.json()["fields"]


def test_a_lone_surrogate_in_json_is_a_400(api_client):
    """"\\ud800" parses into a string no UTF-8 database can store: refused like NUL."""
    question = Quiz.objects.curated().first().ordered_questions()[0]
    response = api_client.post(f"/api/v1/questions/{question.slug}/grade", '{"answer": "x\\ud800"}',
                               content_type="application/json")
    assert response.status_code == 400 and "answer" in response.json()["fields"]


# -- forms and query strings on pages ------------------------------------------------------------------------

def test_page_forms_refuse_control_characters_naming_the_field(client, learner):
    """The answer form, sign-up, log-in, a personal card, an interview answer and a page's query string: each
    a 400 naming the field, with nothing stored."""
    question = Quiz.objects.curated().first().ordered_questions()[0]
    response = client.post(f"/questions/{question.slug}/answer", {"answer": "p99 latency a\x00b"})
    assert response.status_code == 400 and b"answer" in response.content and b"U+0000" in response.content
    response = client.post("/accounts/signup/", {"username": "new\x00", "password1": "x", "password2": "x"})
    assert response.status_code == 400 and b"username" in response.content
    response = client.post("/accounts/login/", {"username": "learner", "password": "a\x00b"})
    assert response.status_code == 400 and b"password" in response.content
    assert client.get("/questions/", {"q": "a\x00b"}).status_code == 400
    client.force_login(learner)
    response = client.post("/cards/personal/add", {"front": "f\x00", "back": "b", "deck": "Personal"})
    assert response.status_code == 400 and not PersonalCard.objects.exists()
    interview = Interview.start(learner, Track.LOAD_LATENCY, 30, 2, timezone.now())
    response = client.post(f"/interviews/{interview.pk}/save", {"text": "ok\x1b[31m"})
    assert response.status_code == 400 and b"text" in response.content


def test_a_multi_line_answer_with_tabs_is_accepted(client):
    """Tab and newline are not refused: multi-line answers keep working."""
    question = Quiz.objects.curated().first().ordered_questions()[0]
    response = client.post(f"/questions/{question.slug}/answer", {"answer": "line one\r\n\tline two"})
    assert response.status_code == 200


def test_a_csv_import_with_a_control_character_names_the_row_and_column(client, learner):
    """A NUL in a CSV cell: the import is refused with the row and column, and nothing is imported."""
    client.force_login(learner)
    upload = io.BytesIO(b"front,back\nGood front,good back\nBad\x00front,back\nfine,tag\x07s\n")
    upload.name = "cards.csv"
    response = client.post("/cards/decks/import", {"deck": "Imported", "file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Row 3: the front contains a control character (U+0000)" in body
    assert "Row 4: the back contains a control character (U+0007)" in body
    assert not PersonalCard.objects.exists()
