"""Sign-up normalises usernames (NFKC) and refuses names that mix alphabets or look like an existing one."""

import pytest

from quizsite.lib.confusables import confusable_problem, scripts, skeleton

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-pass-phrase-42"


def _signup(client, username):
    return client.post("/accounts/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD})


def test_a_cyrillic_a_among_latin_letters_is_refused(client, learner, django_user_model):
    """"lеarner" with a Cyrillic е: mixed alphabets, refused with the reason, no account."""
    response = _signup(client, "l\u0435arner")
    assert response.status_code == 200
    assert "one alphabet" in response.content.decode()
    assert django_user_model.objects.count() == 1


def test_an_all_cyrillic_look_alike_of_an_existing_name_is_refused(client, django_user_model):
    """"раураl" typed wholly in Cyrillic looks like "paypal": refused while "paypal" exists."""
    django_user_model.objects.create_user("paypal", password=PASSWORD)
    response = _signup(client, "\u0440\u0430\u0443\u0440\u0430\u04cf")
    assert "looks too much like" in response.content.decode()
    assert _signup(client, "rnike").status_code == 302  # no "mike" yet: fine
    client.logout()
    django_user_model.objects.create_user("m1ke", password=PASSWORD)
    assert "looks too much like" in _signup(client, "mlke").content.decode()


def test_fullwidth_letters_are_normalised(client, django_user_model):
    """NFKC: "ｓａｍ" is stored as "sam", and "sam" is then taken."""
    assert _signup(client, "\uff53\uff41\uff4d").status_code == 302
    assert django_user_model.objects.filter(username="sam").exists()
    client.logout()
    assert _signup(client, "sam").status_code == 200


def test_names_in_one_other_alphabet_are_welcome(client, django_user_model):
    """A Cyrillic or Greek name that imitates no one signs up."""
    assert _signup(client, "\u0438\u0432\u0430\u043d").status_code == 302  # иван


def test_the_checks_by_themselves():
    """Scripts of letters only; skeletons fold look-alikes and case."""
    assert scripts("ab1_") == {"LATIN"} and scripts("a\u0430") == {"LATIN", "CYRILLIC"}
    assert skeleton("P\u0430ypa1") == skeleton("paypal")
    assert confusable_problem("newname", ["other"]) == ""
