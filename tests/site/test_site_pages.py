"""Site-wide bits every page relies on: the favicon."""

from django.contrib.staticfiles import finders
from django.urls import reverse


def test_favicon_ico_is_served_as_an_icon(client):
    """/favicon.ico answers 200 with an ICO file (browsers ask for it on every site), cacheable for a day."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # ICO header: reserved 0, type 1 (icon)
    assert "max-age=86400" in response["Cache-Control"]


def test_every_page_links_its_favicons(client, db):
    """The base template links the SVG icon and /favicon.ico, and the SVG is a static file."""
    html = client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in html
    assert 'href="/static/img/favicon.svg" type="image/svg+xml"' in html
    assert finders.find("img/favicon.svg")


def test_favicon_refuses_a_post(client):
    """Only GET and HEAD: anything else is 405, never a 500."""
    assert client.post("/favicon.ico").status_code == 405
