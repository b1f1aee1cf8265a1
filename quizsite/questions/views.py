from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from quizsite.questions.flags import AlreadyFlagged, FlagError, flag_grade
from quizsite.questions.forms import FlagForm
from quizsite.questions.models import Question, Tag, Topic
from quizsite.sitecache.middleware import content_page

PAGE_SIZE = 30


def filtered_questions(params) -> tuple[QuerySet[Question], dict]:
    """Live questions filtered by topic, tag, difficulty, type and a search text."""
    questions = Question.objects.bank().select_related("topic")
    chosen = {
        "topic": params.get("topic", ""),
        "tag": params.get("tag", ""),
        "difficulty": params.get("difficulty", ""),
        "type": params.get("type", ""),
        "q": params.get("q", "").strip()[:200],
    }
    if chosen["topic"]:
        questions = questions.filter(topic__slug=chosen["topic"])
    if chosen["tag"]:
        questions = questions.filter(tags__slug=chosen["tag"])
    if chosen["difficulty"] in {"1", "2", "3"}:
        questions = questions.filter(difficulty=int(chosen["difficulty"]))
    else:
        chosen["difficulty"] = ""
    if chosen["type"] in Question.Type.values:
        questions = questions.filter(type=chosen["type"])
    else:
        chosen["type"] = ""
    if chosen["q"]:
        for word in chosen["q"].split()[:8]:
            questions = questions.filter(Q(title__icontains=word) | Q(prompt__icontains=word) | Q(slug__icontains=word))
    return questions.distinct(), chosen


@content_page
def question_list(request: HttpRequest) -> HttpResponse:
    questions, chosen = filtered_questions(request.GET)
    page = Paginator(questions.only("slug", "title", "type", "difficulty", "topic__name", "topic__slug"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "chosen": chosen,
        "query": query.urlencode(),
        "topics": Topic.objects.filter(is_retired=False),
        "tags": Tag.objects.filter(questions__is_retired=False).distinct(),
        "difficulties": Question.Difficulty.choices,
        "types": Question.Type.choices,
    }
    template = "questions/_results.html" if request.htmx else "questions/list.html"
    return render(request, template, context)


@content_page
def question_detail(request: HttpRequest, slug: str) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("topic"), slug=slug, is_retired=False)
    return render(request, "questions/detail.html", {"question": question, **question_context(request, question)})


def question_context(request: HttpRequest, question: Question, seed: str | None = None) -> dict:
    """Prompt rendering for one learner: calculated questions get their seeded variant."""
    variables = question.variables_for(seed or learner_seed(request)) if question.is_calculated else {}
    return {"prompt_html": question.prompt_html(variables), "variables": variables,
            "explanation_html": question.explanation_html(variables)}


def learner_seed(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"user-{request.user.pk}"
    if not request.session.session_key:
        request.session.save()
    return f"session-{request.session.session_key}"




@require_POST
def flag_grade_view(request: HttpRequest) -> HttpResponse:
    """ "I think this grade is wrong" on one of the learner's graded answers. htmx swaps the control for the
    confirmation; without JavaScript a small page confirms it with a link back."""
    form = FlagForm(request.POST)
    back = _safe_next(request, form.data.get("next", ""))
    context = {"ref": form.data.get("ref", "")[:64], "next": back, "comment": form.data.get("comment", "")}
    status = 200
    if not form.is_valid():
        context["error"] = " ".join(str(e) for errors in form.errors.values() for e in errors)
        status = 400
    else:
        try:
            context["flag"] = flag_grade(form.cleaned_data["ref"], request.user, request.session.session_key or "",
                                         form.cleaned_data["comment"], timezone.now())
            context["just_made"] = True
        except AlreadyFlagged as exc:
            context["flag"] = exc.flag
        except FlagError as exc:
            context["error"], status = str(exc), exc.status
    template = "questions/_flag.html" if request.htmx else "questions/flag_done.html"
    return render(request, template, context, status=status)


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""
