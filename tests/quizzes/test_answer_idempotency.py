"""A retried answer is stored once: the page sends an idempotency key with each submission and the same key
when it sends it again after a 503 or a dropped connection."""

import threading

import pytest
from django.db import connections
from django.utils import timezone

from quizsite.quizzes.models import Answer, Attempt, Quiz
from quizsite.quizzes.services import Learner, submit_answer

URL = "/questions/throughput-plateau-ramp/answer"
KEY = "3f1c9a52-8d7e-4b1a-9c33-0a6f2f1e7b10"


@pytest.mark.django_db
def test_the_same_submission_sent_twice_is_stored_once_and_graded_the_same(learner_client, learner):
    first = learner_client.post(URL, {"answer": "a", "idempotency_key": KEY}, HTTP_HX_REQUEST="true")
    again = learner_client.post(URL, {"answer": "a", "idempotency_key": KEY}, HTTP_HX_REQUEST="true")
    assert first.status_code == again.status_code == 200
    assert "Correct" in again.content.decode()
    assert Answer.objects.filter(user=learner).count() == 1


@pytest.mark.django_db
def test_a_new_submission_with_a_new_key_is_a_new_answer(learner_client, learner):
    learner_client.post(URL, {"answer": "b", "idempotency_key": KEY}, HTTP_HX_REQUEST="true")
    learner_client.post(URL, {"answer": "a", "idempotency_key": KEY.replace("3f1c", "4f1c")}, HTTP_HX_REQUEST="true")
    learner_client.post(URL, {"answer": "a"}, HTTP_HX_REQUEST="true")  # no JavaScript: no key, stored as sent
    assert Answer.objects.filter(user=learner).count() == 3


@pytest.mark.django_db
def test_an_anonymous_retry_is_stored_once(client):
    client.get("/questions/throughput-plateau-ramp/")
    client.post(URL, {"answer": "a", "idempotency_key": KEY}, HTTP_HX_REQUEST="true")
    client.post(URL, {"answer": "a", "idempotency_key": KEY}, HTTP_HX_REQUEST="true")
    assert Answer.objects.filter(user=None).count() == 1


@pytest.mark.django_db
def test_another_learners_key_neither_replays_their_answer_nor_loses_this_one(client, learner_client, learner,
                                                                             other_learner):
    learner_client.post(URL, {"answer": "a", "idempotency_key": KEY}, HTTP_HX_REQUEST="true")
    client.force_login(other_learner)
    response = client.post(URL, {"answer": "b", "idempotency_key": KEY}, HTTP_HX_REQUEST="true")
    assert "Correct" not in response.content.decode()
    assert Answer.objects.filter(user=other_learner).count() == 1
    assert Answer.objects.filter(user=learner).count() == 1


@pytest.mark.django_db
def test_a_malformed_key_is_ignored_and_the_answer_stored(learner_client, learner):
    for key in ("x", "<script>", "k" * 65):
        assert learner_client.post(URL, {"answer": "a", "idempotency_key": key},
                                   HTTP_HX_REQUEST="true").status_code == 200
    assert Answer.objects.filter(user=learner, idempotency_key="").count() == 3


@pytest.mark.django_db
def test_a_retried_quiz_answer_is_stored_once(learner_client, learner):
    quiz = Quiz.objects.curated().first()
    attempt = Attempt.start(quiz, "practice", learner, "", timezone.now())
    url = f"/attempts/{attempt.pk}/q/1"
    for _ in range(2):
        learner_client.post(url, {"answer": "1", "idempotency_key": KEY}, HTTP_HX_REQUEST="true")
    assert attempt.answers.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_arriving_twice_at_once_is_stored_once(django_user_model):
    """Two copies racing (the first response was lost but the request is still being served)."""
    from django.core.management import call_command

    from quizsite.questions.models import Question

    call_command("load_content", verbosity=0)
    user = django_user_model.objects.create_user("racer", "racer@example.com", "pw-for-the-racer-42")
    question = Question.objects.get(slug="throughput-plateau-ramp")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def submit():
        try:
            barrier.wait()
            submit_answer(question, "a", Learner(user, ""), timezone.now(), idempotency_key=KEY)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert Answer.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_an_api_client_retrying_with_the_same_idempotency_key_stores_one_answer(api_client, learner):
    api_client.force_authenticate(learner)
    url = "/api/v1/questions/throughput-plateau-ramp/grade"
    first = api_client.post(url, {"answer": "a"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    again = api_client.post(url, {"answer": "a"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == again.status_code == 200
    assert first.json()["verdict"] == again.json()["verdict"] == "correct"
    api_client.post(url, {"answer": "a"}, format="json")  # no key: stored as sent
    assert Answer.objects.filter(user=learner).count() == 2


def test_the_schema_documents_the_idempotency_key_header():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/questions/{slug}/grade"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)
