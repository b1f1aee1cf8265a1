"""A learner signs in and studies flashcards from the keyboard alone, then on a phone-sized screen."""

import re

from playwright.sync_api import expect

PASSWORD = "flash-cards-every-day-42"


def _sign_in(site, page, django_user_model, username: str) -> None:
    django_user_model.objects.create_user(username, f"{username}@example.com", PASSWORD)
    page.goto(site.url + "/accounts/login/?next=/cards/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Flashcards", level=1)).to_be_visible()


def test_review_five_cards_with_the_keyboard_alone(site, page, django_user_model):
    _sign_in(site, page, django_user_model, "keyboarder")
    new_count = page.locator('[data-count="new"]')
    due_count = page.locator('[data-count="due"]')
    expect(new_count).to_have_text("20")
    expect(due_count).to_have_text("0")

    back = page.locator("#card-back")
    # Good (10m), Easy (days), Hard (6m), Good, Easy: none comes due again during the test.
    for number, key in enumerate(["3", "4", "2", "3", "4"], start=1):
        card = page.locator("#flashcard").get_attribute("data-card")
        expect(back).not_to_have_attribute("open", "")
        page.keyboard.press(key)  # rating before the answer shows does nothing
        expect(page.locator("#flashcard")).to_have_attribute("data-card", card)
        page.keyboard.press("Space")
        expect(back).to_have_attribute("open", "")
        expect(new_count).to_have_text(str(20 - number + 1))
        expect(page.get_by_role("button", name=re.compile(r"^Good ?: again in \d+ minutes"))).to_be_visible()
        page.keyboard.press(key)
        expect(new_count).to_have_text(str(20 - number))
        expect(page.locator("#flashcard")).not_to_have_attribute("data-card", card)
    expect(due_count).to_have_text("0")

    # Enter flips too, and u takes back the last review: the card returns and the count goes back up.
    page.keyboard.press("Enter")
    expect(back).to_have_attribute("open", "")
    page.keyboard.press("u")
    expect(new_count).to_have_text("16")
    expect(page.get_by_text("Review undone.")).to_be_visible()

    page.goto(site.url + "/cards/stats/")
    expect(page.locator(".heatmap .heat[data-count='4']")).to_have_count(1)
    expect(page.locator("#forecast-chart")).to_be_visible()


def test_review_on_a_phone_sized_screen(site, page, django_user_model):
    page.set_viewport_size({"width": 375, "height": 740})
    _sign_in(site, page, django_user_model, "phoner")
    page.get_by_text("Show answer").click()
    good = page.get_by_role("button", name=re.compile("^Good"))
    expect(good).to_be_visible()
    box = good.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    good.click()
    expect(page.locator('[data-count="new"]')).to_have_text("19")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
