"""Flagging a grade ("I think this grade is wrong") on question pages, quizzes and the API, and the admin list."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from quizsite.questions.models import GradeFlag
from quizsite.quizzes.models import Answer, Attempt

pytestmark = pytest.mark.django_db

FLUENT_WRONG = "P99 is the average latency of the slowest 1% of requests, the typical latency users see."
FLAG_URL = "/grades/flag"


@pytest.fixture(autouse=True)
def clear_throttles():
    cache.clear()
    yield
    cache.clear()


def answer_on_page(client, slug="what-is-p99", text=FLUENT_WRONG, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(reverse("questions-answer", args=[slug]), {"answer": text}, **headers)
    assert response.status_code == 200, response.content
    return response, Answer.objects.order_by("-pk").first()


def flag(client, ref, comment="", htmx=True, **extra):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(FLAG_URL, {"ref": ref, "comment": comment, **extra}, **headers)


# Question pages


def test_every_page_grade_offers_the_flag_control(client):
    """Under a graded answer: a <details> with an optional comment, posting with CSRF, htmx and plain."""
    response, answer = answer_on_page(client)
    html = response.content.decode()
    assert "I think this grade is wrong" in html
    assert f'name="ref" value="answer:{answer.pk}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'action="{FLAG_URL}"' in html and f'hx-post="{FLAG_URL}"' in html
    assert "onclick" not in html and "<script" not in html


def test_an_invalid_answer_offers_no_flag(client):
    """Nothing was graded, so there is nothing to flag."""
    response = client.post(reverse("questions-answer", args=["what-is-p99"]), {"answer": "   "},
                           HTTP_HX_REQUEST="true")
    assert "I think this grade is wrong" not in response.content.decode()


def test_an_anonymous_visitor_flags_a_grade_with_the_server_copy_of_it(client):
    """The flag stores the answer and the grade the server gave, whatever the client posts alongside."""
    _, answer = answer_on_page(client)
    response = flag(client, f"answer:{answer.pk}", "My answer is fine", score="1.0", verdict="correct",
                    answer_text="something else entirely")
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    saved = GradeFlag.objects.get()
    assert saved.question.slug == "what-is-p99"
    assert saved.answer_text == FLUENT_WRONG
    assert saved.grade == answer.grade
    assert (saved.score, saved.verdict) == (answer.score, answer.verdict)
    assert saved.comment == "My answer is fine"
    assert saved.source == "question" and saved.status == GradeFlag.Status.OPEN
    assert saved.user is None and saved.session_key == client.session.session_key


def test_a_signed_in_learner_flags_without_a_comment(learner_client, learner):
    _, answer = answer_on_page(learner_client)
    assert flag(learner_client, answer.flag_ref).status_code == 200
    saved = GradeFlag.objects.get()
    assert saved.user == learner and saved.session_key == "" and saved.comment == ""


def test_one_flag_per_answer_and_the_control_then_says_so(client):
    _, answer = answer_on_page(client)
    flag(client, answer.flag_ref, "first")
    again = flag(client, answer.flag_ref, "second")
    assert again.status_code == 200 and "You flagged this grade" in again.content.decode()
    assert GradeFlag.objects.get().comment == "first"


def test_someone_elses_answer_cannot_be_flagged(client, learner_client, other_learner):
    """Another learner's or another visitor's answer is 404, and nothing is stored."""
    _, answer = answer_on_page(learner_client)
    client.force_login(other_learner)
    assert flag(client, answer.flag_ref).status_code == 404
    client.logout()
    assert flag(client, answer.flag_ref).status_code == 404
    assert not GradeFlag.objects.exists()


@pytest.mark.parametrize("ref", ["", "answer", "answer:", "answer:abc", "answer:-1", "answer:99999999999999999999999",
                                 "nope:1", "answer:²", "answer:1:2"])
def test_a_bad_reference_is_a_clear_error(client, ref):
    answer_on_page(client)
    response = flag(client, ref)
    assert response.status_code in (400, 404)
    assert 'role="alert"' in response.content.decode()
    assert not GradeFlag.objects.exists()


def test_a_comment_over_the_limit_is_refused_and_kept_for_editing(client):
    _, answer = answer_on_page(client)
    response = flag(client, answer.flag_ref, "x" * 1001)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "x" * 1001 in html
    assert not GradeFlag.objects.exists()


def test_flags_are_capped_per_learner_per_day(client, settings):
    settings.GRADE_FLAGS_PER_DAY = 2
    refs = [answer_on_page(client)[1].flag_ref for _ in range(3)]
    assert [flag(client, ref).status_code for ref in refs] == [200, 200, 429]
    assert GradeFlag.objects.count() == 2


def test_without_javascript_a_page_confirms_and_links_back_only_on_site(client):
    _, answer = answer_on_page(client, htmx=False)
    response = flag(client, answer.flag_ref, htmx=False, next="/questions/what-is-p99/")
    html = response.content.decode()
    assert response.status_code == 200 and "Grade flagged" in html and "<html" in html
    assert 'href="/questions/what-is-p99/"' in html
    _, other = answer_on_page(client, htmx=False)
    html = flag(client, other.flag_ref, htmx=False, next="https://evil.example/").content.decode()
    assert "evil.example" not in html


def test_the_flag_view_takes_only_post(client):
    assert client.get(FLAG_URL).status_code == 405


def test_flagging_needs_the_csrf_token(client):
    from django.test import Client

    _, answer = answer_on_page(client)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post(FLAG_URL, {"ref": answer.flag_ref}).status_code == 403
    assert not GradeFlag.objects.exists()


# Quizzes


def start(client, mode="practice") -> Attempt:
    client.post(reverse("quizzes-start", args=["load-testing-lesson"]), {"mode": mode})
    return Attempt.objects.latest("started_at")


def number_of(attempt: Attempt, slug: str) -> int:
    return [q.slug for q in attempt.quiz.ordered_questions()].index(slug) + 1


def test_a_practice_answer_in_a_quiz_is_flagged_as_a_quiz_answer(learner_client):
    attempt = start(learner_client)
    url = reverse("quizzes-attempt-question", args=[attempt.pk, number_of(attempt, "what-is-p99")])
    html = learner_client.post(url, {"answer": FLUENT_WRONG}, HTTP_HX_REQUEST="true").content.decode()
    answer = attempt.answers.get()
    assert f'value="{answer.flag_ref}"' in html
    flag(learner_client, answer.flag_ref)
    assert GradeFlag.objects.get().source == "quiz"


def test_an_exam_grade_is_flagged_on_the_results_once_it_is_shown(learner_client):
    """During the exam the grade is hidden, so it cannot be flagged (409); the results page offers it."""
    attempt = start(learner_client, mode="exam")
    url = reverse("quizzes-attempt-question", args=[attempt.pk, number_of(attempt, "what-is-p99")])
    learner_client.post(url, {"answer": FLUENT_WRONG})
    answer = attempt.answers.get()
    assert flag(learner_client, answer.flag_ref).status_code == 409
    results = learner_client.post(reverse("quizzes-attempt-finish", args=[attempt.pk]), follow=True)
    assert f'value="{answer.flag_ref}"' in results.content.decode()
    assert flag(learner_client, answer.flag_ref).status_code == 200
    assert GradeFlag.objects.get().answer_text == FLUENT_WRONG


def test_the_results_page_shows_a_flag_already_made(learner_client):
    attempt = start(learner_client)
    url = reverse("quizzes-attempt-question", args=[attempt.pk, number_of(attempt, "what-is-p99")])
    learner_client.post(url, {"answer": FLUENT_WRONG})
    flag(learner_client, attempt.answers.get().flag_ref)
    results = learner_client.post(reverse("quizzes-attempt-finish", args=[attempt.pk]), follow=True)
    assert "You flagged this grade" in results.content.decode()


# API


def test_the_grading_api_names_the_stored_answer_and_it_can_be_flagged(api_client, learner):
    api_client.force_authenticate(learner)
    graded = api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": FLUENT_WRONG}, format="json").json()
    answer = Answer.objects.get()
    assert graded["answer_ref"] == f"answer:{answer.pk}"
    response = api_client.post("/api/v1/grade-flags", {"answer_ref": graded["answer_ref"], "comment": "too harsh"},
                               format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["answer_ref"] == graded["answer_ref"] and body["question"] == "what-is-p99"
    assert body["answer_text"] == FLUENT_WRONG and body["score"] == graded["score"]
    assert body["verdict"] == graded["verdict"] and body["source"] == "api" and body["status"] == "open"
    assert body["comment"] == "too harsh"
    assert api_client.get("/api/v1/grade-flags").json()["results"][0]["id"] == body["id"]


def test_an_anonymous_api_grade_stores_nothing_to_flag(api_client):
    graded = api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": FLUENT_WRONG}, format="json").json()
    assert graded["answer_ref"] is None
    response = api_client.post("/api/v1/grade-flags", {"answer_ref": "answer:1"}, format="json")
    assert response.status_code in (401, 403) and "error" in response.json()


def test_api_errors_are_json_with_the_right_status(api_client, learner, other_learner, settings):
    api_client.force_authenticate(other_learner)
    api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": FLUENT_WRONG}, format="json")
    others = Answer.objects.get().flag_ref
    api_client.force_authenticate(learner)
    mine = api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": FLUENT_WRONG},
                           format="json").json()["answer_ref"]

    def post(body):
        return api_client.post("/api/v1/grade-flags", body, format="json")

    assert post({"answer_ref": others}).status_code == 404
    assert post({"answer_ref": "answer:abc"}).status_code == 404
    assert post({}).status_code == 400
    assert post({"answer_ref": mine, "comment": "x" * 1001}).status_code == 400
    assert post({"answer_ref": ["answer:1"]}).status_code == 400
    assert post({"answer_ref": mine}).status_code == 201
    again = post({"answer_ref": mine})
    assert again.status_code == 409 and "already flagged" in again.json()["error"]
    settings.GRADE_FLAGS_PER_DAY = 1
    third = api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": FLUENT_WRONG},
                            format="json").json()["answer_ref"]
    assert post({"answer_ref": third}).status_code == 429
    assert GradeFlag.objects.count() == 1
    assert api_client.get("/api/v1/grade-flags").json()["count"] == 1


def test_the_api_lists_only_your_own_flags(api_client, learner, other_learner):
    api_client.force_authenticate(other_learner)
    ref = api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": FLUENT_WRONG},
                          format="json").json()["answer_ref"]
    api_client.post("/api/v1/grade-flags", {"answer_ref": ref}, format="json")
    api_client.force_authenticate(learner)
    assert api_client.get("/api/v1/grade-flags").json()["count"] == 0


def test_quiz_attempt_api_gives_references_for_shown_grades(api_client, learner):
    api_client.force_authenticate(learner)
    attempt = api_client.post("/api/v1/quizzes/load-testing-lesson/attempts", {"mode": "practice"},
                              format="json").json()
    graded = api_client.post(f"/api/v1/attempts/{attempt['id']}/answers",
                             {"question": "what-is-p99", "answer": FLUENT_WRONG}, format="json").json()
    assert graded["answer_ref"].startswith("answer:")
    rows = api_client.get(f"/api/v1/attempts/{attempt['id']}").json()["questions"]
    assert next(r for r in rows if r["id"] == "what-is-p99")["answer_ref"] == graded["answer_ref"]
    assert api_client.post("/api/v1/grade-flags", {"answer_ref": graded["answer_ref"]},
                           format="json").status_code == 201


def test_the_flag_api_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/grade-flags" in schema and "answer_ref" in schema


# Admin


def test_the_admin_lists_flags_by_question_with_the_answer(client, staff_author):
    _, answer = answer_on_page(client)
    flag(client, answer.flag_ref, "the grader missed my point")
    client.force_login(staff_author)
    page = client.get(reverse("admin:questions_gradeflag_changelist"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "what-is-p99" in html and FLUENT_WRONG[:60] in html and "the grader missed my point" in html
    assert reverse("admin:questions_question_change", args=[answer.question_id]) in html
    question_filter = client.get(reverse("admin:questions_gradeflag_changelist"),
                                 {"question__id__exact": answer.question_id, "status__exact": "open"})
    assert FLUENT_WRONG[:60] in question_filter.content.decode()
    search = client.get(reverse("admin:questions_gradeflag_changelist"), {"q": "nothing like this"})
    assert FLUENT_WRONG[:60] not in search.content.decode()
    detail = client.get(reverse("admin:questions_gradeflag_change", args=[GradeFlag.objects.get().pk]))
    assert detail.status_code == 200 and "What the grader said" in detail.content.decode()


def test_authors_resolve_flags_from_the_admin(client, staff_author):
    _, answer = answer_on_page(client)
    flag(client, answer.flag_ref)
    client.force_login(staff_author)
    saved = GradeFlag.objects.get()
    client.post(reverse("admin:questions_gradeflag_changelist"),
                {"action": "mark_resolved", "_selected_action": [saved.pk]})
    saved.refresh_from_db()
    assert saved.status == GradeFlag.Status.RESOLVED
