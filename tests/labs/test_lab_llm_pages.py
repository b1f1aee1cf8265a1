"""The run page of a streamed (LLM) run: TTFT, ITL and tokens/s charts and results; other labs unchanged."""

import json

import pytest

from labs import results
from labs.models import Lab
from tests.labs.conftest import SUMMARY
from tests.labs.test_lab_results_llm import LLM, stream_samples

pytestmark = pytest.mark.django_db


def test_an_llm_run_page_charts_ttft_itl_and_tokens(learner_client, learner, make_run):
    lab = Lab.objects.get(slug="serving-an-llm")
    run = make_run(learner, lab, sample_list=stream_samples())
    run.results = results.build({**SUMMARY, "llm": LLM}, stream_samples(), None, None, run.config, None)
    run.save()
    page = learner_client.get(run.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    for canvas in ("chart-ttft", "chart-itl", "chart-tokens"):
        assert f'id="{canvas}"' in html
    chart = json.loads(html.split('id="lab-run-data" type="application/json">')[1].split("</script>")[0])
    assert chart["llm"] == {"ttft_slo_ms": 500.0, "itl_slo_ms": 50.0}
    assert chart["samples"][7]["ttft_p99_ms"] == 2000 and chart["samples"][0]["tokens_per_s"] == 40
    assert 'data-result="ttft_p50_ms">80 ms' in html and 'data-result="itl_p99_ms">60 ms' in html
    assert "at 16 users" in html  # the first second above the TTFT SLO
    assert "lab-llm-goodput" in html or "Goodput: the requests that met both SLOs" in html
    csv = learner_client.get(f"/labs/runs/{run.pk}/samples.csv")
    assert csv.status_code == 200 and "tokens_per_s" in csv.content.decode().splitlines()[0]


def test_other_runs_have_no_llm_charts(learner_client, learner, lab, make_run):
    run = make_run(learner, lab)
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert "chart-ttft" not in html and "llm-results" not in html
