"""The bank as a whole: size, coverage, curated quizzes, and no question asked twice in other words."""

import itertools
import math
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from bank_files import readings
from django.conf import settings

CONTENT = Path(settings.BASE_DIR) / "content"
STOP = set("the a an of to and or in is it for on with that this what which how your you are be as at by from "
           "if its not".split())


def load_questions() -> list[dict]:
    questions = []
    for path in sorted((CONTENT / "questions").glob("*.yaml")):
        questions += yaml.safe_load(path.read_text())["questions"]
    return questions


def load_quizzes() -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((CONTENT / "quizzes").glob("*.yaml"))]


QUESTIONS = load_questions()
CHOICE, NUMBERS = {"single", "multiple"}, {"numeric", "calculated"}


def test_at_least_150_questions_over_at_least_10_topics():
    assert len(QUESTIONS) >= 150
    topics = Counter(q["topic"] for q in QUESTIONS)
    assert len(topics) >= 10
    assert min(topics.values()) >= 10, topics


def test_at_least_40_of_each_kind():
    kinds = Counter("choice" if q["type"] in CHOICE else "numbers" if q["type"] in NUMBERS else q["type"]
                    for q in QUESTIONS)
    assert kinds["choice"] >= 40 and kinds["numbers"] >= 40 and kinds["rubric"] >= 40, kinds


def test_every_question_has_difficulty_tags_and_a_teaching_explanation():
    for q in QUESTIONS:
        assert q.get("difficulty") in {"easy", "medium", "hard"}, q["id"]
        assert q.get("tags"), q["id"]
        assert len(q["explanation"].split()) >= 25, f"{q['id']}: the explanation should teach, not restate"


def test_numeric_questions_state_their_tolerance():
    for q in QUESTIONS:
        if q["type"] in NUMBERS:
            assert "tolerance" in q, q["id"]


def test_free_text_questions_have_model_answers_and_rich_phrasings():
    for q in QUESTIONS:
        if q["type"] == "rubric":
            assert len(q["model_answer"].split()) >= 40, q["id"]
            assert len(q["concepts"]) >= 3, q["id"]
            for concept in q["concepts"]:
                assert readings(concept) >= 3, f"{q['id']}.{concept['id']}"


def _vectors(questions):
    def text(q):
        parts = [q["title"], q["prompt"], q.get("model_answer", "")] + [c["text"] for c in q.get("choices", [])]
        return " ".join(parts).lower()

    docs = [Counter(w for w in re.findall(r"[a-z0-9]+", text(q)) if w not in STOP) for q in questions]
    df = Counter(w for d in docs for w in d)
    vectors = []
    for d in docs:
        v = {w: c * math.log(len(docs) / df[w]) for w, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({w: x / norm for w, x in v.items()})
    return vectors


def test_no_two_questions_are_the_same_question_reworded():
    """TF-IDF cosine over title, prompt, choices and model answer; the closest real pair today is 0.73."""
    vectors = _vectors(QUESTIONS)
    too_close = []
    for i, j in itertools.combinations(range(len(QUESTIONS)), 2):
        similarity = sum(x * vectors[j].get(w, 0.0) for w, x in vectors[i].items())
        same_type = QUESTIONS[i]["type"] == QUESTIONS[j]["type"]
        if similarity >= 0.8 or (same_type and similarity >= 0.65):
            too_close.append((QUESTIONS[i]["id"], QUESTIONS[j]["id"], round(similarity, 2)))
    assert too_close == []


def test_the_duplicate_detector_catches_a_reworded_copy():
    original = next(q for q in QUESTIONS if q["id"] == "what-is-p99")
    copy = {**original, "id": "p99-reworded", "title": "Explain P99",
            "prompt": original["prompt"].replace("An interviewer asks", "You are asked")}
    vectors = _vectors([original, copy, *QUESTIONS[:20]])
    similarity = sum(x * vectors[1].get(w, 0.0) for w, x in vectors[0].items())
    assert similarity >= 0.8


def test_every_topic_has_a_curated_quiz_and_there_is_a_warm_up():
    quizzes = load_quizzes()
    by_id = {q["id"]: q for q in QUESTIONS}
    covered = Counter()
    for quiz in quizzes:
        topics = Counter(by_id[slug]["topic"] for slug in quiz["questions"])
        covered[topics.most_common(1)[0][0]] += 1
    assert set(q["topic"] for q in QUESTIONS) <= set(covered), covered
    warm_up = next(q for q in quizzes if q["id"] == "interview-warm-up")
    assert len({by_id[slug]["topic"] for slug in warm_up["questions"]}) >= 4


@pytest.mark.parametrize("objective", ["objective-rps-p99", "objective-locust-script", "objective-cpu-vs-io",
                                       "objective-interview"])
def test_each_lesson_objective_maps_to_questions_in_the_lesson_quiz(objective):
    lesson = next(q for q in load_quizzes() if q["id"] == "load-testing-lesson")
    tagged = {q["id"] for q in QUESTIONS if objective in q.get("tags", [])}
    assert len(tagged) >= 2
    assert tagged & set(lesson["questions"])


def test_the_lesson_track_asks_to_read_or_fix_a_locustfile():
    locustfile_questions = [q for q in QUESTIONS if "```python" in q["prompt"] and "HttpUser" in q["prompt"]]
    assert len(locustfile_questions) >= 3
