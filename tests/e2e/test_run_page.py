"""A finished run's page in the browser: whole-run tiles that agree with the results table (the page's
JavaScript must not put the last second back), and the "What happened" panel with its marks on the charts."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


def _sign_in(page, site, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": site.url}])


def _tiles_agree_with_the_table(page) -> None:
    tiles = page.locator('.tiles[data-scope="whole-run"]')
    expect(tiles).to_be_visible()
    for key in ("p50_ms", "p99_ms"):
        expect(tiles.locator(f'[data-stat="{key}"]')).to_have_text(page.locator(f'[data-result="{key}"]').inner_text())
    expect(tiles.get_by_text("(whole run)").first).to_be_visible()
    expect(page.get_by_text("(last 3 s)")).to_have_count(0)


def test_a_diagnosed_run_shows_the_panel_and_marks_its_charts(site, page, django_user_model):
    from tests.e2e.test_every_page import _diagnosed_runs

    user = django_user_model.objects.create_user("marks", "marks@example.com", "a-long-pass-phrase-42")
    _baseline, run = _diagnosed_runs(user)
    _sign_in(page, site, user)
    page.goto(f"{site.url}/labs/runs/{run.pk}/")
    # The charts are drawn from the samples; the tiles keep the whole-run figures the server rendered.
    page.wait_for_function("() => window.labCharts && window.labCharts.rps.data.labels.length === 40")
    _tiles_agree_with_the_table(page)
    expect(page.locator('[data-stat="p99_ms"]')).to_have_text("238 ms")  # SUMMARY's 238.4, not a window's

    panel = page.locator("#what-happened")
    expect(panel.get_by_role("heading", name="What happened")).to_be_visible()
    expect(panel.locator('[data-diagnosis="bottleneck"]')).to_have_text("CPU-bound")
    expect(panel.locator('[data-diagnosis="plateau_rps"]')).to_have_text("55 req/s")
    expect(panel.get_by_role("heading", name="How you would say it in an interview")).to_be_visible()
    expect(panel.locator("table.steps-table tbody tr")).to_have_count(8)

    marks = page.evaluate("() => window.labCharts.rps.$marks.map((m) => m.kind + ':' + m.label)")
    assert marks == ["warmup:warm-up", "ramp:", "level:plateau 55 req/s", "knee:knee (30 users)",
                     "breach:SLO breached (36 users)"]
    latency = page.evaluate("() => window.labCharts.latency.$marks.map((m) => m.kind)")
    assert latency == ["warmup", "ramp", "knee", "breach"]


def test_the_comparison_draws_both_runs_on_one_chart(site, page, django_user_model):
    from tests.e2e.test_every_page import _diagnosed_runs

    user = django_user_model.objects.create_user("pairs", "pairs@example.com", "a-long-pass-phrase-42")
    baseline, heavier = _diagnosed_runs(user)
    _sign_in(page, site, user)
    page.goto(f"{site.url}/labs/runs/{heavier.pk}/")
    page.get_by_role("button", name="Compare with another run").click()
    expect(page).to_have_url(re.compile(rf"/labs/breaking-point/compare/\?a={heavier.pk}$"))
    page.get_by_label("Baseline run").select_option(str(baseline.pk))
    page.get_by_label("Compared with").select_option(str(heavier.pk))
    page.get_by_role("button", name="Compare").click()
    expect(page.locator('[data-compare="changes"] li').first).to_contain_text(
        "The plateau halved (110 → 55 req/s) with twice the CPU per request (8 → 16 ms); still CPU-bound.")
    # The words are in the HTML; the chart is drawn by a deferred script a moment later.
    page.wait_for_function("() => window.labCompareChart && window.labCompareChart.data")
    labels = page.evaluate("() => window.labCompareChart.data.datasets.map((d) => d.label + ':' + d.data.length)")
    assert labels == [f"RPS #{baseline.pk}:40", f"P99 #{baseline.pk}:40", f"RPS #{heavier.pk}:40",
                      f"P99 #{heavier.pk}:40"]
