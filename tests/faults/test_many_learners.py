"""60 learners answering at once through the real server lose no answer: every answer the API accepted is a
row in the database, and nothing is a 500 (on SQLite, writers queue for the lock behind its busy timeout)."""

import json
import secrets
import threading
from collections import Counter

import pytest
from rest_framework.authtoken.models import Token

from quizsite.quizzes.models import Answer
from tests.faults.servers import Site

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEARNERS = 60
ANSWERS_EACH = 5
QUESTIONS = ["throughput-plateau-ramp", "littles-law-in-flight"]


def test_sixty_learners_answering_at_once_lose_no_accepted_answer(tmp_path, content, django_user_model):
    users = django_user_model.objects.bulk_create(
        [django_user_model(username=f"learner{i}", password="!") for i in range(LEARNERS)])  # "!" = no password
    tokens = Token.objects.bulk_create([Token(user=user, key=secrets.token_hex(20)) for user in users])
    site = Site(tmp_path)
    statuses: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(LEARNERS)

    def learner(token: Token):
        barrier.wait()
        for n in range(ANSWERS_EACH):
            status = site.get(
                f"/api/v1/questions/{QUESTIONS[n % 2]}/grade", timeout=60,
                data=json.dumps({"answer": "a" if n % 2 == 0 else "120"}).encode(),
                headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"})[0]
            with lock:
                statuses[status] += 1

    try:
        site.wait_until_serving()
        threads = [threading.Thread(target=learner, args=(token,)) for token in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
    finally:
        site.proc.stop()
    stored = Answer.objects.filter(user__in=users).count()
    print(f"{LEARNERS} learners x {ANSWERS_EACH} answers: {dict(statuses)}; rows stored: {stored}")
    assert sum(statuses.values()) == LEARNERS * ANSWERS_EACH
    assert set(statuses) <= {200, 503}, statuses  # accepted, or refused with "back in a moment"
    assert stored == statuses[200]
    assert statuses[200] >= 0.9 * LEARNERS * ANSWERS_EACH, statuses  # the busy timeout absorbs the contention
