"""Two people hold a mock interview from two browsers: the candidate answers two questions, the interviewer
follows in a second browser context, ticks a concept the candidate missed, and both read the scorecard."""

import re

from playwright.sync_api import expect

PASSWORD = "a-long-pass-phrase-42"
FIRST_ANSWER = "I would start by measuring it carefully and explaining what I see to the team."
SECOND_ANSWER = "Honestly I am not sure, I would read the documentation first."


def test_a_two_question_interview_with_an_interviewer(site, page, browser, django_user_model):
    django_user_model.objects.create_user("candidate", "c@example.com", PASSWORD)

    # The candidate signs in and starts a 20-minute, two-question session with an interviewer.
    page.goto(site.url + "/interviews/")
    page.get_by_label("Username").fill("candidate")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Mock interviews")).to_be_visible()
    page.get_by_label("Chosen topics", exact=True).check()
    page.get_by_text("Chosen topics (for the").click()
    page.get_by_label("Latency percentiles and tail latency").check()
    page.get_by_label("Length").select_option("20")
    page.get_by_label("Questions", exact=True).fill("2")
    page.get_by_label(re.compile("With an interviewer")).check()
    page.get_by_role("button", name="Start the interview").click()
    expect(page.get_by_text("Question 1 of 2")).to_be_visible()
    first_title = page.locator("article.interview-question h1").inner_text()
    expect(page.locator(".clock").first).to_contain_text(re.compile(r"\d+:\d\d"))

    # The candidate hands the private link to the interviewer, who opens it in another browser context.
    page.get_by_text("Your interviewer's private link").click()
    link = page.locator("#interviewer-url").input_value()
    interviewer_context = browser.new_context(viewport={"width": 1200, "height": 900})
    interviewer_context.set_default_timeout(15_000)
    ip = interviewer_context.new_page()
    try:
        ip.goto(link)
        expect(ip.get_by_role("heading", name="Interviewer's view")).to_be_visible()
        expect(ip.get_by_role("heading", name=f"1. {first_title}")).to_be_visible()
        expect(ip.get_by_text("Model answer")).to_be_visible()

        # The candidate writes; autosave reports the time; the interviewer's live panel shows the draft.
        page.get_by_label(re.compile("Your answer")).fill(FIRST_ANSWER)
        page.get_by_label(re.compile("Your answer")).blur()
        expect(page.locator("#save-status")).to_have_text(re.compile(r"Saved \d\d:\d\d:\d\d"))
        page.reload()  # a reload resumes with the saved text
        expect(page.get_by_label(re.compile("Your answer"))).to_have_value(FIRST_ANSWER)
        expect(ip.locator("[data-candidate-answer]")).to_contain_text("measuring it carefully")

        # The interviewer ticks a concept the grader did not find, and writes a note.
        missed = ip.locator("label.concept:not(.found)").first
        concept_label = missed.locator("strong").inner_text()
        before = ip.locator("[data-combined-score]").inner_text()
        missed.locator("input[type=checkbox]").check()
        expect(ip.locator("#marks")).to_contain_text("Saved.")
        after = ip.locator("[data-combined-score]").inner_text()
        assert int(after.rstrip("%")) > int(before.rstrip("%"))
        ip.get_by_label("Notes").fill("Clear structure, but said it aloud rather than writing it.")
        ip.get_by_label("Notes").blur()
        expect(ip.locator("#notes-status")).to_have_text(re.compile(r"Saved \d\d:\d\d:\d\d"))

        # The candidate moves on; the interviewer's page follows by itself.
        page.get_by_role("button", name="Next question").click()
        expect(page.get_by_text("Question 2 of 2")).to_be_visible()
        second_title = page.locator("article.interview-question h1").inner_text()
        expect(ip.get_by_role("heading", name=f"2. {second_title}")).to_be_visible()

        page.get_by_label(re.compile("Your answer")).fill(SECOND_ANSWER)
        page.get_by_role("button", name="Finish the interview").click()

        # The candidate's scorecard.
        expect(page.get_by_role("heading", name="Interview scorecard")).to_be_visible()
        overall = page.locator("[data-overall-score]").inner_text()
        expect(page.locator("#competency-chart")).to_be_visible()
        ticked = page.locator("li.found", has_text=concept_label)
        expect(ticked).to_contain_text("(interviewer)")
        expect(page.get_by_text("Clear structure, but said it aloud")).to_be_visible()
        expect(page.get_by_role("heading", name="Flashcards from the missed points")).to_be_visible()
        expect(page.get_by_text(re.compile(r"\d+ cards? added to your flashcards"))).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download Markdown").click()
        assert download.value.suggested_filename.endswith("-scorecard.md")

        # The interviewer's page notices the end and links to the same scorecard.
        ip.get_by_role("link", name="See the scorecard").click()
        expect(ip.get_by_role("heading", name="Interview scorecard")).to_be_visible()
        expect(ip.locator("[data-overall-score]")).to_have_text(overall)
        expect(ip.locator("li.found", has_text=concept_label)).to_contain_text("(interviewer)")
    finally:
        interviewer_context.close()

    # The history lists the session with its score.
    page.goto(site.url + "/interviews/")
    expect(page.locator("table").get_by_text(overall)).to_be_visible()
