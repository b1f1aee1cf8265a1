"""Flagging the grade of a lab checkpoint answer, on the run page and through the API."""

import pytest
from django.core.cache import cache

from labs.models import LabAnswer
from quizsite.questions.models import GradeFlag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_throttles():
    cache.clear()
    yield
    cache.clear()


def test_a_checkpoint_grade_is_flagged_from_the_run_page(learner_client, learner, lab, make_run):
    run = make_run(learner, lab)
    response = learner_client.post(f"/labs/runs/{run.pk}/answer/lab-first-tail-ratio", {"answer": "2"},
                                   HTTP_HX_REQUEST="true")
    answer = LabAnswer.objects.get()
    assert f'value="{answer.flag_ref}"' in response.content.decode()
    assert f'value="{answer.flag_ref}"' in learner_client.get(f"/labs/runs/{run.pk}/").content.decode()
    learner_client.post("/grades/flag", {"ref": answer.flag_ref, "comment": "my ratio is right"})
    saved = GradeFlag.objects.get()
    assert saved.source == "lab" and saved.answer_text == "2" and saved.verdict == "incorrect"
    assert saved.grade == answer.grade


def test_checkpoint_answers_are_flagged_through_the_api_by_their_owner_only(api_client, learner, other_learner,
                                                                          lab, make_run):
    run = make_run(learner, lab)
    api_client.force_authenticate(learner)
    graded = api_client.post(f"/api/v1/runs/{run.pk}/answers",
                             {"question": "lab-first-slower-requests", "answer": "4"}, format="json").json()
    assert graded["answer_ref"] == LabAnswer.objects.get().flag_ref
    api_client.force_authenticate(other_learner)
    assert api_client.post("/api/v1/grade-flags", {"answer_ref": graded["answer_ref"]},
                           format="json").status_code == 404
    api_client.force_authenticate(learner)
    assert api_client.post("/api/v1/grade-flags", {"answer_ref": graded["answer_ref"]},
                           format="json").status_code == 201
