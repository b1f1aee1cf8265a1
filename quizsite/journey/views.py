from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from labs.models import Lab
from quizsite.journey import path
from quizsite.journey.lessons import get_lesson
from quizsite.questions.models import Question, Topic
from quizsite.sitecache.middleware import content_page


@content_page
def home(request: HttpRequest) -> HttpResponse:
    learner = path.Learner.from_request(request)
    context = {"topics": Topic.objects.with_question_counts(), "lesson": get_lesson(path.FIRST_LESSON)}
    if learner.signed_in:
        context.update(path.home_summary(learner, timezone.now()))
    else:
        context["steps"] = path.path_steps(learner)
        context["offer"] = {
            "questions": Question.objects.bank().count(),
            "labs": Lab.objects.live().count(),
        }
    return render(request, "journey/home.html", context)


@content_page
def lesson_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lesson = get_lesson(slug)
    learner = path.Learner.from_request(request)
    steps = path.path_steps(learner) if slug == path.FIRST_LESSON else []
    return render(request, "journey/lesson.html", {
        "lesson": lesson, "steps": steps, "read": bool(steps) and steps[0].done,
    })


@require_POST
def lesson_read(request: HttpRequest, slug: str) -> HttpResponse:
    """Mark the lesson read and go on to the path's next step."""
    lesson = get_lesson(slug)
    path.mark_lesson_read(request, lesson.slug, timezone.now())
    if lesson.slug == path.FIRST_LESSON:
        return redirect("quizzes-detail", path.LESSON_QUIZ)
    return redirect("journey-lesson", lesson.slug)
