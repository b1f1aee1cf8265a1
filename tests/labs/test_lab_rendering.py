"""A finished run's page renders its checkpoint questions (prompts with the run's numbers, choices) and the
lab's steps without raw template text or Markdown shown literally."""

import pytest
from django.urls import reverse

from labs.models import Lab
from tests.questions.test_content_rendering import main_of, raw_bits


@pytest.mark.parametrize("slug", ["first-load-test", "breaking-point", "cpu-vs-io", "blocking-in-async",
                                  "caching-and-workers", "why-p99-lies"])
def test_lab_and_run_pages_show_no_template_text_or_backticks(learner_client, learner, make_run, slug):
    """The lab page and a succeeded run of it show no `{{`, `{%` or backtick in their visible text."""
    lab = Lab.objects.get(slug=slug)
    run = make_run(learner, lab)
    problems = []
    for url in (reverse("labs-detail", args=[slug]), reverse("labs-run", args=[run.pk])):
        page = learner_client.get(url)
        assert page.status_code == 200
        problems += [f"{url}: {bit!r}" for bit in raw_bits(main_of(page.content.decode()))]
    assert not problems, "\n".join(problems)
