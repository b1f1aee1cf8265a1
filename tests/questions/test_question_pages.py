"""Browsing and answering single questions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quizsite.questions.models import Question
from quizsite.quizzes.models import Answer

pytestmark = pytest.mark.django_db


def test_list_filters_by_topic_difficulty_type_and_search(client):
    page = client.get(reverse("questions-list"), {"topic": "latency", "type": "rubric"})
    assert page.status_code == 200
    assert "What is P99?" in page.content.decode()
    assert "Your API has high latency" not in page.content.decode()

    page = client.get(reverse("questions-list"), {"q": "debug latency"})
    assert "Your API has high latency" in page.content.decode()

    page = client.get(reverse("questions-list"), {"difficulty": "9", "type": "nonsense"})
    assert page.status_code == 200  # bad filter values are ignored, not errors


def test_list_and_detail_run_a_fixed_number_of_queries(client):
    """Query counts do not grow with the bank: one page of 30 costs the same as one of 3."""
    with CaptureQueriesContext(connection) as all_topics:
        client.get(reverse("questions-list"))
    with CaptureQueriesContext(connection) as one_topic:
        client.get(reverse("questions-list"), {"topic": "latency", "difficulty": "1"})
    assert len(all_topics) == len(one_topic) <= 8
    with CaptureQueriesContext(connection) as detail:
        client.get(reverse("questions-detail", args=["what-is-p99"]))
    assert len(detail) <= 6


def test_detail_never_shows_the_answer_key_before_answering(client):
    question = Question.objects.get(slug="what-is-p99")
    body = client.get(question.get_absolute_url()).content.decode()
    assert "What is P99?" in body
    assert "10,000 requests a day" not in body  # from the model answer
    choice = Question.objects.live().filter(type="single").first()
    body = client.get(choice.get_absolute_url()).content.decode()
    assert "correct" not in body.lower().replace("check answer", "")


def test_answering_a_free_text_question_gives_per_concept_feedback(client):
    answer = (
        "P99 is the 99th percentile latency: 99% of requests finish at or below it and 1 in 100 is slower. "
        "The average hides the tail, and at scale with 1M users that is 10,000 users hitting it."
    )
    page = client.post(reverse("questions-answer", args=["what-is-p99"]), {"answer": answer})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Correct" in body
    assert "✓" in body and "99th percentile of latency" in body
    assert "Model answer" in body
    assert Answer.objects.filter(question__slug="what-is-p99").count() == 1


def test_an_empty_answer_is_refused_and_costs_no_attempt(client):
    page = client.post(reverse("questions-answer", args=["what-is-p99"]), {"answer": "   "}, HTTP_HX_REQUEST="true")
    assert page.status_code == 400
    assert "did not count" in page.content.decode()
    assert not Answer.objects.exists()


def test_retired_questions_are_hidden(client):
    Question.objects.filter(slug="what-is-p99").update(is_retired=True)
    assert client.get(reverse("questions-detail", args=["what-is-p99"])).status_code == 404
    assert "What is P99?" not in client.get(reverse("questions-list")).content.decode()


def test_markdown_in_prompts_is_sanitised(client):
    question = Question.objects.get(slug="what-is-p99")
    question.prompt = "Hello <script>alert('x')</script> [link](javascript:alert(1)) **bold**"
    question.save()
    body = client.get(question.get_absolute_url()).content.decode()
    assert "<script>alert" not in body
    assert "javascript:alert" not in body
    assert "<strong>bold</strong>" in body


def test_home_lists_topics_with_counts(client):
    body = client.get("/").content.decode()
    assert "Latency percentiles and tail latency" in body


def test_lab_checkpoints_are_answered_only_on_a_run(client, api_client):
    """A question graded against a run's numbers is not in the bank, and answering it elsewhere is refused
    with a pointer to the labs, never a server error."""
    checkpoint = Question.objects.live().filter(needs_run=True).first()
    assert checkpoint is not None and checkpoint.uses_run_variables
    assert checkpoint.title not in client.get(reverse("questions-list")).content.decode()
    page = client.get(checkpoint.get_absolute_url())
    assert page.status_code == 200 and "lab checkpoint" in page.content.decode()
    assert 'name="answer"' not in page.content.decode()
    refused = client.post(reverse("questions-answer", args=[checkpoint.slug]), {"answer": "12"})
    assert refused.status_code == 409
    graded = api_client.post(f"/api/v1/questions/{checkpoint.slug}/grade", {"answer": "12"}, format="json")
    assert graded.status_code == 409 and "run" in graded.json()["error"]
    assert api_client.get(f"/api/v1/questions/{checkpoint.slug}/").status_code == 404
    assert not Answer.objects.exists()


def test_needs_run_follows_the_spec_on_save():
    question = Question.objects.get(slug="what-is-p99")
    assert not question.needs_run
    checkpoint = Question.objects.filter(needs_run=True).first()
    checkpoint.spec = {**checkpoint.spec, "variables": {"x": {"value": 1}}, "formula": "x"}
    checkpoint.save()
    checkpoint.refresh_from_db()
    assert not checkpoint.needs_run


def test_a_fluent_wrong_answer_is_named_quoted_and_corrected(client):
    """The page quotes the learner's wrong claim, names it and states the right one, under "Not yet"."""
    answer = "P99 is the average latency of the slowest 1% of requests."
    body = client.post(reverse("questions-answer", args=["what-is-p99"]), {"answer": answer}).content.decode()
    assert "Not yet" in body
    assert "You said “average latency of the slowest”" in body
    assert "P99 is not an average of anything" in body and "P99 is a percentile" in body
    assert "(core point)" in body
