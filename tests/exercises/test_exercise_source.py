"""The static read of a locustfile (exercises.source): classes, wait_time, tasks, on_start, catch_response."""

from __future__ import annotations

from exercises.source import WaitTime, read_source

MLUSER = '''
from locust import HttpUser, task, between


class MLUser(HttpUser):
    wait_time = between(1, 2)

    def on_start(self):
        pass

    @task(3)
    def predict(self):
        self.client.post("/predict", json={"sqft": 1500, "bedrooms": 3, "location": "NY"})

    @task
    def health(self):
        self.client.get("http://example.com/healthz")
'''


def test_reads_the_user_its_wait_time_tasks_and_methods():
    """MLUser: HttpUser, between(1, 2) on line 6, @task(3) predict and @task health, on_start."""
    facts = read_source(MLUSER)
    assert facts.parses and not facts.shapes
    (user,) = facts.users
    assert (user.name, user.bases, user.line) == ("MLUser", ("HttpUser",), 5)
    assert user.wait_time == WaitTime("between", (1.0, 2.0), 6)
    assert [(t.name, t.weight) for t in user.tasks] == [("predict", 3), ("health", 1)]
    assert user.methods == ("on_start", "predict", "health")
    assert user.calls == ("get", "post")
    assert facts.absolute_urls == (("http://example.com/healthz", 17),)
    assert not facts.uses_catch_response and not facts.marks_failure


def test_a_syntax_error_gives_its_line_not_an_exception():
    """A missing colon on line 3 is reported as 'SyntaxError on line 3: ...'."""
    facts = read_source("from locust import HttpUser\n\nclass U(HttpUser)\n    pass\n")
    assert not facts.parses
    assert facts.error_line == 3
    assert facts.syntax_error.startswith("SyntaxError on line 3: ")
    assert read_source("x = 1\x00").syntax_error  # a NUL byte


def test_subclasses_of_the_files_own_users_and_shapes_count():
    """A user deriving from the file's own base user, and a shape deriving from LoadTestShape, are found."""
    facts = read_source('''
import locust
class Base(locust.HttpUser):
    abstract = True
class Real(Base):
    wait_time = locust.constant(0.5)
    @locust.task(weight=2)
    def go(self):
        with self.client.get("/", catch_response=True) as r:
            r.failure("no")
class Steps(locust.LoadTestShape):
    def tick(self):
        return None
''')
    assert [u.name for u in facts.users] == ["Base", "Real"]
    real = facts.users[1]
    assert real.wait_time == WaitTime("constant", (0.5,), 6)
    assert [(t.name, t.weight) for t in real.tasks] == [("go", 2)]
    assert [s.name for s in facts.shapes] == ["Steps"] and facts.shapes[0].methods == ("tick",)
    assert facts.uses_catch_response and facts.marks_failure


def test_catch_response_false_does_not_count_and_odd_wait_times_are_described():
    """catch_response=False is not a use; between(a, b) with names has args None ("between(...)")."""
    facts = read_source('''
from locust import HttpUser, between
LOW = 1
class U(HttpUser):
    wait_time = between(LOW, 2)
    def t(self):
        self.client.get("/", catch_response=False)
''')
    assert not facts.uses_catch_response
    assert facts.users[0].wait_time.describe() == "between(...)"
    assert facts.users[0].tasks == ()
