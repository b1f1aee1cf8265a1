"""The scorecard's maths: pure Python, no Django, so it is tested with hand-computed numbers.

One question's scores:

- ``auto``: the rubric grader's score for the saved answer, in [0, 1] (0 when nothing was answered).
- ``combined``: the automatic score plus the weight share of every concept the interviewer ticked that
  the grader did not find, capped at 1::

      combined = min(1, auto + sum(weight(c) for c in ticked - found) / sum(weight(c) for c in concepts))

  A tick of a concept the grader already found adds nothing; a concept's weight defaults to 1.
- ``final``: the interviewer's override when there is one (with a reason), else ``combined``.

A follow-up (solo interviews, see models.FollowUp) changes ``auto`` before anything else, by
``score_with_follow_up``: when the follow-up answer states the missed concept and no wrong claim, the
question scores what the first answer would have scored had it stated that concept too::

    lifted = (found_weight + weight(concept)) / total_weight - penalty, capped again by the rules of the
             grader: at GATE_CAP while another core point (gate) is still missed, at MISCONCEPTION_CAP when
             the first answer stated a misconception

and ``auto = max(first score, lifted)``. So a follow-up lifts the gate cap once the gate is met, and never
scores above a first answer that said everything. A follow-up that states a misconception caps the
question at MISCONCEPTION_CAP; one that misses the concept changes nothing.

A session's scores:

- ``overall``: the mean of ``final`` over the questions asked (reached); a question asked but left
  unanswered scores 0. Questions never reached are listed on the scorecard and not scored.
- per competency: the mean of ``final`` over the asked questions of that competency.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from quizsite.questions.grading.rubric import GATE_CAP, MISCONCEPTION_CAP


@dataclass(frozen=True)
class QuestionScore:
    auto: float
    combined: float
    final: float
    override: float | None
    ticked_extra: tuple[str, ...]

    @property
    def interviewer(self) -> float | None:
        """The interviewer's score: their override, or the combined score when their ticks added to it."""
        if self.override is not None:
            return self.override
        if self.ticked_extra:
            return self.combined
        return None


def concept_weight(concept: dict) -> float:
    weight = concept.get("weight", 1)
    return float(weight) if isinstance(weight, (int, float)) and weight > 0 else 1.0


def score_question(
    auto: float,
    concepts: list[dict],
    found: Iterable[str],
    ticked: Iterable[str],
    override: float | None = None,
) -> QuestionScore:
    """One question's automatic, combined and final scores (see the module docstring)."""
    auto = _clamp(auto)
    weights = {str(c["id"]): concept_weight(c) for c in concepts}
    total = sum(weights.values())
    found_ids = set(found)
    extra = tuple(cid for cid in weights if cid in set(ticked) and cid not in found_ids)
    added = sum(weights[cid] for cid in extra) / total if total else 0.0
    combined = _clamp(auto + added)
    final = _clamp(override) if override is not None else combined
    return QuestionScore(auto=auto, combined=combined, final=final,
                         override=_clamp(override) if override is not None else None, ticked_extra=extra)


def follow_up_found(follow_up: dict | None, concept_id: str) -> bool:
    """Did the follow-up answer (a grade dict) state the concept, without any wrong claim?"""
    if not follow_up or follow_up.get("verdict") == "invalid":
        return False
    found = {str(c.get("id")) for c in follow_up.get("concepts_found", [])}
    return concept_id in found and not follow_up.get("misconceptions")


def score_with_follow_up(first: dict, concept_id: str, weight: float, follow_up: dict | None) -> float:
    """The automatic score of a question once its follow-up counts (see the module docstring).

    `first` and `follow_up` are grade dicts (Grade.to_dict()); `weight` is the concept's weight.
    """
    score = _clamp(first.get("score", 0.0))
    if not follow_up or follow_up.get("verdict") == "invalid":
        return score
    if follow_up.get("misconceptions"):
        return min(score, MISCONCEPTION_CAP)
    if not follow_up_found(follow_up, concept_id):
        return score
    details = first.get("details") or {}
    total = details.get("total_weight")
    found_weight = details.get("found_weight")
    if not isinstance(total, (int, float)) or not isinstance(found_weight, (int, float)) or total <= 0:
        return score
    lifted = (found_weight + weight) / total - float(details.get("penalty") or 0.0)
    if set(map(str, details.get("gates_missed") or [])) - {concept_id}:
        lifted = min(lifted, GATE_CAP)
    if first.get("misconceptions"):
        lifted = min(lifted, MISCONCEPTION_CAP)
    return max(score, _clamp(lifted))


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def by_competency(rows: Iterable[tuple[str, float]], order: Iterable[str]) -> list[tuple[str, float, int]]:
    """(competency, mean final score, questions) for each competency asked, in the given order."""
    groups: dict[str, list[float]] = {}
    for competency, final in rows:
        groups.setdefault(competency, []).append(final)
    return [(c, sum(groups[c]) / len(groups[c]), len(groups[c])) for c in order if c in groups]


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
