"""A finished run's page: whole-run tiles that agree with the results table, and the "What happened" panel."""

import json
import re

import pytest

from labs.models import Lab, LabRun, RunStatus
from tests.labs.conftest import samples, step_samples, with_diagnosis

pytestmark = pytest.mark.django_db


def _tile(html: str, stat: str) -> str:
    return re.search(rf'data-stat="{stat}">([^<]*)<', html).group(1)


def _result(html: str, key: str) -> str:
    return re.search(rf'data-result="{key}">([^<]*)<', html).group(1)


def test_a_finished_run_shows_whole_run_figures_in_its_tiles(learner_client, learner, make_run, lab):
    """The issue's contradiction: tiles P99 2,430 ms (last 3 s) against the table's 1,175 ms. Once the run has
    ended, the tiles show the same whole-run figures as the table, labelled as such."""
    rows = [dict(s, p99_ms=2430.0, requests=1996) if s["index"] == 19 else s for s in samples()]
    run = make_run(learner, lab, sample_list=rows)
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert 'data-scope="whole-run"' in html and "(last 3 s)" not in html.split('id="results"')[0].split("tiles")[1]
    assert _tile(html, "p99_ms") == _result(html, "p99_ms") == "238 ms"  # not the last window's 2,430 ms
    assert _tile(html, "p50_ms") == _result(html, "p50_ms") == "52.1 ms"
    assert _tile(html, "requests") == "400"  # the summary's count, not the last sample's 1,996
    assert "2,430" not in _tile(html, "p99_ms")
    assert html.count("(whole run)") >= 6


def test_a_running_run_shows_the_last_window(learner_client, learner, make_run, lab):
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert 'data-scope="live"' in html and "P99 <small>(last 3 s)</small>" in html
    assert 'id="what-happened"' not in html


def test_the_what_happened_panel_shows_the_diagnosis_as_evidence(learner_client, learner, make_run):
    lab = Lab.objects.get(slug="breaking-point")
    run = with_diagnosis(make_run(learner, lab, sample_list=step_samples()))
    html = learner_client.get(run.get_absolute_url()).content.decode()
    panel = html.split('id="what-happened"')[1].split('id="results"')[0]
    assert 'data-diagnosis="bottleneck">CPU-bound<' in panel
    assert "API CPU 99% of the 1 core it may use over steps 5-8" in panel
    assert 'data-diagnosis="plateau_rps">110 req/s<' in panel
    assert 'data-diagnosis="knee_users">30 users<' in panel
    assert 'data-diagnosis="first_breach">36 users, 108 req/s<' in panel
    assert "<strong>Plateau</strong>: the median RPS of the last three steps." in panel  # defined on the page
    assert "Throughput levelled off at 110 req/s" in panel and "the P99 rose from 40 ms to 270 ms" in panel
    assert panel.count("<tr data-step=") == 8 and panel.count("P99 above the SLO") == 3  # steps 6-8: 150, 210, 270
    assert re.search(r'<tr data-step="5" class="knee">\s*<th scope="row">5</th>', panel)  # step 5: 30 users
    assert 'data-check="littles_law_closed_loop"' in panel and "Warning:" in panel and "Agrees:" in panel
    assert "How you would say it in an interview" in panel and "not async." in panel
    chart = json.loads(re.search(r'id="lab-run-data" type="application/json">(.*?)</script>', html).group(1))
    assert chart["marks"] == {
        "bands": [{"kind": "warmup", "from": 0.0, "to": 2.0}, {"kind": "ramp", "from": 5.0, "to": 7.0}],
        "knee_s": 25, "knee_users": 30, "breach_s": 31, "breach_users": 36, "plateau_rps": 110.0}
    assert "the amber dashed line is the knee (30 users, at 25 s)" in html


def test_a_run_that_never_breached_says_never(learner_client, learner, make_run):
    lab = Lab.objects.get(slug="breaking-point")
    run = with_diagnosis(make_run(learner, lab), bottleneck="none", knee_users=None, knee_second=None,
                         first_breach=None, findings=[], checks=[])
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert 'data-diagnosis="bottleneck">Never saturated<' in html
    assert 'data-diagnosis="knee_users">none<' in html and 'data-diagnosis="first_breach">never<' in html
    assert "Consistency checks" not in html and "Findings" not in html


def test_a_run_without_results_has_no_panel_and_no_marks(learner_client, learner, make_run, lab):
    """A run still going has no diagnosis yet (every finished run has one: stored, or computed for old runs)."""
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert 'id="what-happened"' not in html and '"marks": {}' in html


def test_an_older_run_gets_its_diagnosis_computed_on_the_page(learner_client, learner, make_run, lab):
    """Finished before the analysis existed (no stored diagnosis): the panel shows one computed from its samples."""
    run = make_run(learner, lab)
    LabRun.objects.filter(pk=run.pk).update(results={k: v for k, v in run.results.items() if k != "diagnosis"})
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert 'id="what-happened"' in html
    run.refresh_from_db()
    assert "diagnosis" not in run.results  # computed for the page, not stored
