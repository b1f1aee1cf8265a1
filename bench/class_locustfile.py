"""A class of signed-in learners on the site at once (run by bench/swarm.py; Locust, 127.0.0.1 only).

Each simulated learner is a real account made before the swarm starts (bench/swarm.py writes their session
cookies and API tokens to the file named by BP_LEARNERS): the swarm never signs up or signs in. Between
actions a learner thinks for 0.5-1.5 s. Pages are read with the session cookie, like a browser; answers go
through the API with the learner's token, like the site's own scripts (no CSRF dance to simulate).
"""

import itertools
import json
import os
import random
import threading
from pathlib import Path

from locust import HttpUser, between, task

LEARNERS = json.loads(Path(os.environ["BP_LEARNERS"]).read_text()) if os.environ.get("BP_LEARNERS") else []
_next = itertools.count()
_lock = threading.Lock()

QUIZZES = ("caching-practice", "latency-practice", "throughput-practice")
TEXT_ANSWER = ("P99 is the 99th percentile of latency: 99% of requests finish at or below it, 1 in 100 is "
               "slower. The average hides that tail, and at scale 1% is many users.")


def answer_for(question: dict):
    """A well-formed answer for a question as GET /api/v1/questions/<id>/ shows it (right or wrong)."""
    kind, choices = question.get("type"), question.get("choices") or []
    if kind == "single" and choices:
        return random.choice(choices)["id"]
    if kind == "multiple" and choices:
        return [c["id"] for c in random.sample(choices, k=min(2, len(choices)))]
    if kind in ("numeric", "calculated"):
        unit = question.get("unit") or ""
        return f"{random.randint(1, 500)} {unit}".strip()
    return TEXT_ANSWER


class Learner(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        with _lock:
            me = LEARNERS[next(_next) % len(LEARNERS)]
        # Pages carry the session cookie, API calls the token only: a session would make DRF ask for CSRF.
        self.page = {"Cookie": f"sessionid={me['sessionid']}"}
        self.api = {"Authorization": f"Token {me['token']}"}
        listing = self.client.get("/api/v1/questions/", headers=self.api, name="/api/v1/questions/").json()
        self.questions = [q["id"] for q in listing["results"]]
        self.attempt = None

    # -- browsing -----------------------------------------------------------------------------------------

    @task(3)
    def browse(self):
        path = random.choice(("/", "/questions/", "/questions/?page=2", "/quizzes/", "/labs/", "/interviews/"))
        self.client.get(path, headers=self.page, name=path)

    @task(4)
    def question_page(self):
        self.client.get(f"/questions/{random.choice(self.questions)}/", headers=self.page, name="/questions/[id]/")

    # -- answering ----------------------------------------------------------------------------------------

    @task(3)
    def grade(self):
        slug = random.choice(self.questions)
        question = self.client.get(f"/api/v1/questions/{slug}/", headers=self.api, name="/api/v1/questions/[id]/")
        self.client.post(f"/api/v1/questions/{slug}/grade", json={"answer": answer_for(question.json())},
                         headers=self.api, name="/api/v1/questions/[id]/grade")

    @task(2)
    def quiz_answer(self):
        if self.attempt is None or not self.attempt["left"]:
            quiz = random.choice(QUIZZES)
            self.client.get(f"/quizzes/{quiz}/", headers=self.page, name="/quizzes/[id]/")
            started = self.client.post(f"/api/v1/quizzes/{quiz}/attempts", json={"mode": "practice"},
                                       headers=self.api, name="/api/v1/quizzes/[id]/attempts").json()
            self.attempt = {"id": started["id"], "left": [q["id"] for q in started["questions"]]}
        slug = self.attempt["left"].pop(0)
        question = self.client.get(f"/api/v1/questions/{slug}/", headers=self.api, name="/api/v1/questions/[id]/")
        self.client.post(f"/api/v1/attempts/{self.attempt['id']}/answers",
                         json={"question": slug, "answer": answer_for(question.json())},
                         headers=self.api, name="/api/v1/attempts/[id]/answers")

    @task(2)
    def card_review(self):
        self.client.get("/cards/", headers=self.page, name="/cards/")
        due = self.client.get("/api/v1/cards/due?limit=1", headers=self.api, name="/api/v1/cards/due").json()
        if due["cards"]:
            card = due["cards"][0]
            self.client.post(f"/api/v1/cards/{card['id']}/review",
                             json={"rating": random.choice((1, 3, 3, 4)), "version": card["version"]},
                             headers=self.api, name="/api/v1/cards/[id]/review")
