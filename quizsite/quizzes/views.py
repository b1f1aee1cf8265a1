import random

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from quizsite.questions.locks import hidden_question_ids
from quizsite.questions.models import Question
from quizsite.questions.views import question_context
from quizsite.quizzes.forms import BuildForm, StartForm, response_from_post
from quizsite.quizzes.models import Answer, Attempt, Quiz
from quizsite.quizzes.services import answer_in_attempt, build_quiz, learner_for, submit_answer
from quizsite.sitecache.middleware import content_page


def _get_attempt_for_learner(request: HttpRequest, pk: int) -> Attempt:
    attempt = get_object_or_404(Attempt.objects.select_related("quiz"), pk=pk)
    if not attempt.belongs_to(request.user, request.session.session_key):
        raise Http404("No such attempt")
    return attempt


def _get_quiz_for_learner(request: HttpRequest, slug: str) -> Quiz:
    quiz = get_object_or_404(Quiz, slug=slug, is_retired=False)
    if not quiz.is_curated and quiz.owner_id and quiz.owner_id != request.user.pk:
        raise Http404("No such quiz")
    return quiz


@content_page
def quiz_list(request: HttpRequest) -> HttpResponse:
    quizzes = Quiz.objects.curated()
    return render(request, "quizzes/list.html", {"quizzes": quizzes, "form": BuildForm()})


@content_page
def quiz_detail(request: HttpRequest, slug: str) -> HttpResponse:
    quiz = _get_quiz_for_learner(request, slug)
    initial = {"mode": quiz.default_mode, "time_limit_minutes": (quiz.time_limit_s or 0) // 60 or None}
    response = render(request, "quizzes/detail.html", {
        "quiz": quiz, "questions": quiz.ordered_questions(), "form": StartForm(initial=initial),
    })
    response.content_cacheable = quiz.is_curated  # a learner's own quiz does not bump the content version
    return response


@require_POST
def quiz_start(request: HttpRequest, slug: str) -> HttpResponse:
    quiz = _get_quiz_for_learner(request, slug)
    form = StartForm(request.POST)
    if not form.is_valid():
        return render(request, "quizzes/detail.html",
                      {"quiz": quiz, "questions": quiz.ordered_questions(), "form": form}, status=400)
    learner = learner_for(request)
    attempt = Attempt.start(quiz, form.cleaned_data["mode"], learner.user, learner.session_key, timezone.now(),
                            form.time_limit_s())
    return redirect("quizzes-attempt-question", attempt.pk, 1)


@require_POST
def quiz_build(request: HttpRequest) -> HttpResponse:
    form = BuildForm(request.POST)
    if not form.is_valid():
        return render(request, "quizzes/list.html", {"quizzes": Quiz.objects.curated(), "form": form}, status=400)
    data = form.cleaned_data
    quiz = build_quiz(list(data["topics"]), data["difficulty"], data["count"], request.user, random.Random())
    if not quiz.items.exists():
        messages.error(request, "No questions match those choices. Try more topics or any difficulty.")
        quiz.delete()
        return redirect("quizzes-list")
    learner = learner_for(request)
    attempt = Attempt.start(quiz, data["mode"], learner.user, learner.session_key, timezone.now(), form.time_limit_s())
    return redirect("quizzes-attempt-question", attempt.pk, 1)


def attempt_question(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    attempt = _get_attempt_for_learner(request, pk)
    questions = attempt.quiz.ordered_questions()
    if not 1 <= number <= len(questions):
        raise Http404("No such question in this quiz")
    question = questions[number - 1]
    now = timezone.now()
    if attempt.is_finished:
        return redirect("quizzes-attempt", attempt.pk)
    if attempt.is_past_deadline(now):
        attempt.finish(now)
        messages.warning(request, "Time is up: the exam has ended and was graded on the answers given in time.")
        return redirect("quizzes-attempt", attempt.pk)

    result = answer = None
    previous = attempt.answers.filter(question=question).order_by("-created_at", "-pk").first()
    status = 200
    if request.method == "POST":
        result, answer = answer_in_attempt(attempt, question, response_from_post(question, request.POST),
                                           learner_for(request), now, request.POST.get("idempotency_key", ""))
        if answer is None:
            status = 400
        elif attempt.is_exam:
            if number < len(questions):
                messages.success(request, f"Answer to question {number} saved.")
                target = reverse("quizzes-attempt-question", args=[attempt.pk, number + 1])
            else:
                messages.success(request, "All questions answered. Review them or finish the exam.")
                target = reverse("quizzes-attempt-question", args=[attempt.pk, number])
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    context = {
        "attempt": attempt,
        "question": question,
        "number": number,
        "total": len(questions),
        "answered": set(attempt.answers.values_list("question_id", flat=True)),
        "questions": questions,
        "result": result,
        "show_feedback": result is not None and (not attempt.is_exam or not result.counts_as_attempt),
        "flag_ref": answer.flag_ref if answer is not None and not attempt.is_exam else "",
        "previous": previous,
        "submitted": request.POST if request.method == "POST" else None,
        "selected": request.POST.getlist("answer") if request.method == "POST" else [],
        "remaining_s": attempt.remaining_seconds(now),
        **question_context(request, question, seed=attempt.seed_for_variants()),
    }
    if request.htmx and request.method == "POST":
        return render(request, "quizzes/_feedback.html", context, status=status)
    return render(request, "quizzes/question.html", context, status=status)


@require_POST
def attempt_finish(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _get_attempt_for_learner(request, pk)
    attempt.finish(timezone.now())
    return redirect("quizzes-attempt", attempt.pk)


def attempt_results(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _get_attempt_for_learner(request, pk)
    now = timezone.now()
    if not attempt.is_finished and attempt.is_past_deadline(now):
        attempt.finish(now)
    if not attempt.is_finished:
        return redirect("quizzes-attempt-question", attempt.pk, 1)
    questions = attempt.quiz.ordered_questions()
    latest = attempt.latest_answers()
    seed = attempt.seed_for_variants()
    rows = [{"question": q, "answer": latest.get(q.pk), "explanation_html": q.explanation_html(q.variables_for(seed))}
            for q in questions]
    by_topic = attempt.results_by_topic()
    chart = {
        "labels": [row["topic"].name for row in by_topic],
        "scores": [round(row["score"] * 100) for row in by_topic],
    }
    return render(request, "quizzes/results.html", {
        "attempt": attempt, "rows": rows, "by_topic": by_topic, "chart": chart,
    })


@require_POST
def question_answer(request: HttpRequest, slug: str) -> HttpResponse:
    """Answer one question outside any quiz: practice with immediate feedback."""
    question = get_object_or_404(Question.objects.select_related("topic"), slug=slug, is_retired=False)
    if question.needs_run:
        return render(request, "questions/_needs_run.html", {"question": question}, status=409)
    learner = learner_for(request)
    if question.pk in hidden_question_ids(learner.user, learner.session_key, timezone.now()):
        return render(request, "questions/_in_exam.html", {"question": question}, status=409)
    result, answer = submit_answer(question, response_from_post(question, request.POST), learner, timezone.now(),
                                   idempotency_key=request.POST.get("idempotency_key", ""))
    context = {"question": question, "result": result, "show_feedback": True, "submitted": request.POST,
               "flag_ref": answer.flag_ref if answer is not None else "",
               "selected": request.POST.getlist("answer"), **question_context(request, question)}
    status = 200 if answer else 400
    if request.htmx:
        return render(request, "quizzes/_feedback.html", context, status=status)
    return render(request, "questions/detail.html", context, status=status)


def history(request: HttpRequest) -> HttpResponse:
    learner = learner_for(request)
    if request.user.is_authenticated:
        attempts = Attempt.objects.filter(user=request.user)
        answers = Answer.objects.filter(user=request.user)
    else:
        attempts = Attempt.objects.filter(user=None, session_key=learner.session_key)
        answers = Answer.objects.filter(user=None, session_key=learner.session_key)
    attempts = attempts.select_related("quiz")[:50]
    recent = answers.select_related("question")[:50]
    return render(request, "quizzes/history.html", {"attempts": attempts, "answers": recent})
