"""Browser journeys: Playwright from pip driving Debian's Chromium against a live server.

Skipped (with the reason) only where /usr/bin/chromium is absent; CI sets BP_REQUIRE_BROWSER=1 and
installs Chromium, so there the journeys always run.
"""

import os
import shutil

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test body are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Not per session: Playwright's sync API keeps an asyncio loop running
    in this thread while it is open, which would break later tests that call asyncio.run()."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("BP_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is required here (BP_REQUIRE_BROWSER=1) but {CHROMIUM} is missing")
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def site(live_server, transactional_db):
    """The live server with the content loaded (transactional tests start from an empty database)."""
    call_command("load_content", verbosity=0)
    return live_server
