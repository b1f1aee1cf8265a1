"""Comparing two runs of a lab: the page and GET /api/v1/runs/compare, for the owner's finished runs only."""

import pytest

from labs.models import Lab, RunStatus
from tests.labs.conftest import step_samples, with_diagnosis

pytestmark = pytest.mark.django_db


@pytest.fixture
def breaking(db) -> Lab:
    return Lab.objects.get(slug="breaking-point")


@pytest.fixture
def pair(learner, make_run, breaking):
    """Run a: 8 ms of CPU a request, plateau 110 req/s; run b: 16 ms, plateau 55 req/s. Both CPU-bound."""
    a = with_diagnosis(make_run(learner, breaking, sample_list=step_samples()))
    b = with_diagnosis(make_run(learner, breaking, sample_list=step_samples(capacity=55.0), api={"cpu_ms": 16}),
                       plateau_rps=55.0, knee_users=18, capacity_at_slo_rps=52.0)
    return a, b


@pytest.fixture
def client_of(api_client, learner):
    api_client.force_authenticate(learner)
    return api_client


def test_the_api_compares_two_runs_in_words_and_figures(client_of, pair):
    a, b = pair
    response = client_of.get(f"/api/v1/runs/compare?a={a.pk}&b={b.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == ("The plateau halved (110 → 55 req/s) with twice the CPU per request (8 → 16 ms); "
                               "still CPU-bound.")
    plateau = next(row for row in body["rows"] if row["id"] == "plateau_rps")
    assert (plateau["a"], plateau["b"], plateau["change"]) == (110.0, 55.0, "halved")
    assert body["runs"]["a"]["id"] == a.pk and len(body["runs"]["b"]["series"]) == 40
    assert set(body["runs"]["b"]["series"][0]) == {"t", "rps", "p99_ms"}


@pytest.mark.parametrize(("query", "field"), [("", "a"), ("a=1", "b"), ("a=x&b=2", "a"), ("a=1&b=-3", "b"),
                                              ("a=1&b=1", "b"), ("a=1.5&b=2", "a"),
                                              ("a=1&b=99999999999999999999", "b")])
def test_missing_or_malformed_ids_are_a_json_400(client_of, query, field):
    response = client_of.get(f"/api/v1/runs/compare?{query}")
    assert response.status_code == 400 and list(response.json()["fields"]) == [field]


def test_someone_elses_run_is_a_404(client_of, pair, other_learner, make_run, breaking):
    theirs = make_run(other_learner, breaking)
    response = client_of.get(f"/api/v1/runs/compare?a={pair[0].pk}&b={theirs.pk}")
    assert response.status_code == 404 and f"no run {theirs.pk} of yours" in response.json()["error"]


def test_unfinished_runs_and_runs_of_different_labs_are_a_409(client_of, learner, pair, make_run, lab):
    failed = make_run(learner, pair[0].lab, status=RunStatus.FAILED)
    assert client_of.get(f"/api/v1/runs/compare?a={pair[0].pk}&b={failed.pk}").status_code == 409
    other_lab = make_run(learner, lab)
    response = client_of.get(f"/api/v1/runs/compare?a={pair[0].pk}&b={other_lab.pk}")
    assert response.status_code == 409 and "different labs" in str(response.json())


def test_the_compare_api_needs_an_account(api_client, pair):
    assert api_client.get(f"/api/v1/runs/compare?a={pair[0].pk}&b={pair[1].pk}").status_code in (401, 403)


def test_the_compare_page_shows_both_runs_side_by_side(learner_client, pair):
    a, b = pair
    response = learner_client.get(f"/labs/breaking-point/compare/?a={a.pk}&b={b.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "The plateau halved (110 → 55 req/s) with twice the CPU per request (8 → 16 ms); still CPU-bound." in html
    assert 'data-figure="plateau_rps"' in html and "110 req/s" in html and "55 req/s" in html
    assert 'id="chart-compare"' in html and 'id="lab-compare-data"' in html
    first, second = html.split('id="compare-b"')
    assert f'<option value="{a.pk}" selected>' in first and f'<option value="{b.pk}" selected>' in second


def test_the_compare_page_offers_the_newest_two_when_nothing_is_chosen(learner_client, pair):
    html = learner_client.get("/labs/breaking-point/compare/").content.decode()
    a, b = pair  # b is newer (created second): the baseline is the older one
    assert html.count("<option") == 4 and "What changed" not in html
    first, second = html.split('id="compare-b"')
    assert f'<option value="{a.pk}" selected>' in first and f'<option value="{b.pk}" selected>' in second


def test_the_compare_page_is_404_for_someone_elses_run_and_409_across_labs(learner_client, learner, pair,
                                                                           other_learner, make_run, lab):
    theirs = make_run(other_learner, pair[0].lab)
    assert learner_client.get(f"/labs/breaking-point/compare/?a={pair[0].pk}&b={theirs.pk}").status_code == 404
    mine_elsewhere = make_run(learner, lab)
    response = learner_client.get(f"/labs/breaking-point/compare/?a={pair[0].pk}&b={mine_elsewhere.pk}")
    assert response.status_code == 409 and "different labs" in response.content.decode()
    response = learner_client.get("/labs/breaking-point/compare/?a=abc&b=2")
    assert response.status_code == 400 and "must be the id of one of your runs" in response.content.decode()


def test_the_run_page_links_to_the_comparison(learner_client, pair):
    html = learner_client.get(pair[1].get_absolute_url()).content.decode()
    assert f'/labs/breaking-point/compare/?a={pair[1].pk}' in html


def test_the_compare_endpoint_is_in_the_schema(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/runs/compare" in schema and "LabRunCompare" in schema


def test_the_lab_page_offers_the_comparison_once_two_runs_have_finished(learner_client, learner, make_run, breaking):
    with_diagnosis(make_run(learner, breaking, sample_list=step_samples()))
    assert "Compare two of your runs" not in learner_client.get("/labs/breaking-point/").content.decode()
    with_diagnosis(make_run(learner, breaking, sample_list=step_samples()))
    html = learner_client.get("/labs/breaking-point/").content.decode()
    assert 'href="/labs/breaking-point/compare/"' in html and "Compare two of your runs" in html
