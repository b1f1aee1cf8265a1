"""Pages of a mock interview: the candidate's (signed in), the interviewer's (by private token), the scorecard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from quizsite.interviews.forms import AnswerForm, NotesForm, OverrideForm, StartForm, TicksForm
from quizsite.interviews.models import (
    FollowUp,
    Interview,
    InterviewError,
    InterviewQuestion,
    NoQuestions,
    Status,
    TimeUp,
)
from quizsite.interviews.scorecard import build_scorecard
from quizsite.interviews.services import finish_interview

# Helpers


def _get_interview_for_user(request: HttpRequest, pk: int) -> Interview:
    return get_object_or_404(Interview, pk=pk, user=request.user)


def _get_interview_for_token(pk: int, token: str) -> Interview:
    """The interview whose interviewer holds this token; 404 for anything else, whoever asks."""
    interview = Interview.objects.filter(pk=pk).first()
    if interview is None or not interview.check_token(token, timezone.now()):
        raise Http404("No such interview")
    return interview


def _get_item(interview: Interview, number: int | None) -> InterviewQuestion:
    """An asked question of the interview by number (the current one when None)."""
    position = interview.current_position if number is None else number - 1
    item = interview.items.select_related("question__topic").filter(position=position).first()
    if item is None or not item.was_asked:
        raise Http404("That question has not been asked")
    item.interview = interview
    return item


def _number(raw: str | None) -> int | None:
    """A question number from a query or form field; None when there is none (ASCII digits only: "²".isdigit()
    is true but int() refuses it), -1 (no such question) when it is absurdly long."""
    raw = raw or ""
    if not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw) if len(raw) <= 9 else -1


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _clock_time(value) -> str:
    return timezone.localtime(value).strftime("%H:%M:%S") if value else ""


def _save_payload(item: InterviewQuestion | FollowUp, number: int, changed: bool) -> dict:
    late = isinstance(item, InterviewQuestion)
    return {
        "position": number,
        "saved_at": item.saved_at.isoformat() if item.saved_at else None,
        "saved_at_display": _clock_time(item.saved_at),
        "changed": changed,
        "is_late": item.is_late if late else False,
        "late_by_s": item.late_by_seconds if late else 0,
    }


def _save(interview: Interview, form: AnswerForm) -> tuple[dict, bool]:
    """Save the text of a valid form to the answer or to the follow-up it names: (payload, changed)."""
    data, now = form.cleaned_data, timezone.now()
    if data.get("part") == AnswerForm.FOLLOW_UP:
        follow_up, changed = interview.save_follow_up(data["text"], now, form.position0())
        return _save_payload(follow_up, interview.current_position + 1, changed), changed
    item, changed = interview.save_answer(data["text"], now, form.position0())
    return _save_payload(item, item.number, changed), changed


def _save_from_post(request: HttpRequest, interview: Interview) -> None:
    """Save the answer text a form carried (Next and Finish post it too), when it carried any."""
    if "text" not in request.POST:
        return
    form = AnswerForm(request.POST)
    if not form.is_valid():
        raise InterviewError("That answer could not be saved: " + " ".join(
            str(e) for errors in form.errors.values() for e in errors))
    try:
        _save(interview, form)
    except TimeUp as exc:  # a follow-up past its time: refused, and the candidate moves on all the same
        if form.cleaned_data.get("part") != AnswerForm.FOLLOW_UP:
            raise
        messages.warning(request, str(exc))


def _trend(interviews: list[Interview]) -> dict:
    done = sorted((i for i in interviews if i.is_finished and i.score is not None), key=lambda i: i.finished_at)
    return {
        "labels": [timezone.localtime(i.finished_at).strftime("%d %b %H:%M") for i in done],
        "scores": [round(i.score * 100) for i in done],
    }


# interviews- (the candidate)


@login_required
def interview_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, StartForm())


def _render_list(request: HttpRequest, form: StartForm, status: int = 200) -> HttpResponse:
    interviews = list(Interview.objects.filter(user=request.user).prefetch_related("topics")[:100])
    return render(request, "interviews/list.html", {
        "form": form, "interviews": interviews, "trend": _trend(interviews),
    }, status=status)


@login_required
@require_POST
def interview_start(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    data = form.cleaned_data
    try:
        interview = Interview.start(
            request.user, data["track"], data["duration_minutes"], data["question_count"], timezone.now(),
            topics=list(data["topics"]), with_interviewer=data["with_interviewer"],
        )
    except NoQuestions as exc:
        form.add_error(None, str(exc) + " Try another track or more topics.")
        return _render_list(request, form, status=400)
    if interview.question_count < data["question_count"]:
        messages.info(request, f"This track has {interview.question_count} questions; all of them are asked.")
    return redirect("interviews-detail", interview.pk)


@login_required
def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _get_interview_for_user(request, pk)
    if interview.is_finished:
        return redirect("interviews-scorecard", interview.pk)
    now = timezone.now()
    item = _get_item(interview, None)
    interviewer_url = (request.build_absolute_uri(interview.interviewer_path())
                       if interview.with_interviewer and interview.interviewer_token else "")
    return render(request, "interviews/candidate.html", {
        "interview": interview,
        "item": item,
        "follow_up": item.get_follow_up(),
        "question": item.question,
        "now": now,
        "time_up": interview.is_time_up(now),
        "question_time_up": now >= item.deadline,
        "remaining_s": interview.remaining_seconds(now),
        "question_remaining_s": item.remaining_seconds(now),
        "interviewer_url": interviewer_url,
    })


@login_required
@require_POST
def interview_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosave: idempotent, answers the saved-at time. Late saves are kept and marked late."""
    interview = _get_interview_for_user(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"error": "Invalid answer.", "fields": form.errors}, status=400)
        messages.error(request, "That answer could not be saved.")
        return redirect("interviews-detail", interview.pk)
    try:
        payload, _ = _save(interview, form)
    except InterviewError as exc:
        if _wants_json(request):
            return JsonResponse({"error": str(exc), "detail": str(exc)}, status=409)
        messages.error(request, str(exc))
        return redirect("interviews-detail", interview.pk)
    if _wants_json(request):
        return JsonResponse(payload)
    messages.success(request, f"Saved {payload['saved_at_display']}")
    return redirect("interviews-detail", interview.pk)


@login_required
@require_POST
def interview_next(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _get_interview_for_user(request, pk)
    try:
        _save_from_post(request, interview)
        position = interview.current_position
        interview.advance(timezone.now())
        if interview.current_position == position:
            messages.info(request, "One follow-up question before you move on.")
    except InterviewError as exc:
        messages.error(request, str(exc))
    return redirect("interviews-detail", interview.pk)


@login_required
@require_POST
def interview_finish(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _get_interview_for_user(request, pk)
    try:
        _save_from_post(request, interview)
    except InterviewError as exc:
        if not interview.is_finished:
            messages.error(request, str(exc))
            return redirect("interviews-detail", interview.pk)
    now = timezone.now()
    if interview.ask_follow_up(now) is not None:
        messages.info(request, "One follow-up question before you finish.")
        return redirect("interviews-detail", interview.pk)
    finish_interview(interview, now)
    return redirect("interviews-scorecard", interview.pk)


@login_required
@require_GET
def interview_scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _get_interview_for_user(request, pk)
    if not interview.is_finished:
        messages.info(request, "The scorecard is ready when the interview ends.")
        return redirect("interviews-detail", interview.pk)
    return _render_scorecard(request, interview, reverse("interviews-scorecard-md", args=[interview.pk]))


@login_required
@require_GET
def interview_scorecard_md(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _get_interview_for_user(request, pk)
    if not interview.is_finished:
        raise Http404("The scorecard is ready when the interview ends")
    return _markdown(request, interview)


@login_required
@require_POST
def interview_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The candidate regenerates or revokes the interviewer's private link."""
    interview = _get_interview_for_user(request, pk)
    action = request.POST.get("action", "")
    if action == "regenerate":
        interview.regenerate_interviewer_link()
        messages.success(request, "A new interviewer link is ready; the old one no longer works.")
    elif action == "revoke":
        interview.revoke_interviewer_link()
        messages.success(request, "The interviewer link no longer works.")
    else:
        return HttpResponse("Choose regenerate or revoke.", status=400, content_type="text/plain")
    return redirect("interviews-scorecard" if interview.is_finished else "interviews-detail", interview.pk)


def _render_scorecard(request: HttpRequest, interview: Interview, markdown_url: str,
                      interviewer: bool = False) -> HttpResponse:
    card = build_scorecard(interview, timezone.now())
    interviewer_url = (request.build_absolute_uri(interview.interviewer_path())
                       if not interviewer and interview.with_interviewer and interview.interviewer_token else "")
    return render(request, "interviews/scorecard.html", {
        "interview": interview, "card": card, "chart": card.chart(), "markdown_url": markdown_url,
        "interviewer": interviewer, "interviewer_url": interviewer_url,
    })


def _markdown(request: HttpRequest, interview: Interview) -> HttpResponse:
    card = build_scorecard(interview, timezone.now())
    text = render_to_string("interviews/scorecard.md", {"interview": interview, "card": card}, request=request)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="interview-{interview.pk}-scorecard.md"'
    return response


# interviews-interviewer- (by private link, no login)


def _interviewer_context(interview: Interview, item: InterviewQuestion, following: bool,
                         override_form: OverrideForm | None = None) -> dict:
    now = timezone.now()
    score = item.score()
    initial = {"position": item.number, "reason": item.override_reason,
               "score": round(item.override_score * 100) if item.override_score is not None else None}
    return {
        "interview": interview,
        "token": interview.interviewer_token,
        "item": item,
        "question": item.question,
        "concepts": item.concept_rows(),
        "score": score,
        "following": following,
        "items": interview.ordered_items(),
        "now": now,
        "current": interview.current_position + 1,
        "override_form": override_form or OverrideForm(initial=initial),
    }


@require_GET
def interviewer_view(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    interview = _get_interview_for_token(pk, token)
    number = _number(request.GET.get("q"))
    following = number is None
    item = _get_item(interview, number)
    return render(request, "interviews/interviewer.html", _interviewer_context(interview, item, following))


@require_GET
def interviewer_live(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """What the candidate is doing now, for the interviewer's page to poll."""
    interview = _get_interview_for_token(pk, token)
    current = _get_item(interview, None)
    shown = _number(request.GET.get("shown"))
    now = timezone.now()
    return render(request, "interviews/_live.html", {
        "interview": interview, "token": interview.interviewer_token, "current": current, "now": now,
        "shown": current.number if shown is None else shown,
    })


def _after_mark(request: HttpRequest, interview: Interview, item: InterviewQuestion) -> HttpResponse:
    if request.htmx:
        return render(request, "interviews/_marks.html", {"item": item, "score": item.score(), "saved": True})
    url = reverse("interviews-interviewer", args=[interview.pk, interview.interviewer_token])
    return redirect(f"{url}?q={item.number}")


@require_POST
def interviewer_ticks(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    interview = _get_interview_for_token(pk, token)
    item = _get_item(interview, _number(request.POST.get("position")))
    form = TicksForm(request.POST, concept_ids=[str(c["id"]) for c in item.concepts()])
    if not form.is_valid():
        return HttpResponse("Unknown concept.", status=400)
    item.set_ticks(form.cleaned_data["concept"])
    interview.refresh_score()
    return _after_mark(request, interview, item)


@require_POST
def interviewer_override(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    interview = _get_interview_for_token(pk, token)
    item = _get_item(interview, _number(request.POST.get("position")))
    form = OverrideForm(request.POST)
    if not form.is_valid():
        context = _interviewer_context(interview, item, following=False, override_form=form)
        template = "interviews/_override.html" if request.htmx else "interviews/interviewer.html"
        return render(request, template, context, status=400)
    item.set_override(form.override(), form.cleaned_data.get("reason") or "")
    interview.refresh_score()
    if request.htmx:
        context = _interviewer_context(interview, item, following=False)
        return render(request, "interviews/_override.html", {**context, "saved": True})
    return _after_mark(request, interview, item)


@require_POST
def interviewer_notes(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """Autosave of the interviewer's notes on one question: idempotent, answers the saved-at time."""
    interview = _get_interview_for_token(pk, token)
    form = NotesForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"error": "Invalid notes.", "fields": form.errors}, status=400)
        return HttpResponse("Invalid notes.", status=400)
    item = _get_item(interview, form.cleaned_data["position"])
    changed = item.save_notes(form.cleaned_data["notes"], timezone.now())
    if _wants_json(request):
        return JsonResponse({"position": item.number, "saved_at": item.notes_saved_at.isoformat(),
                             "saved_at_display": _clock_time(item.notes_saved_at), "changed": changed})
    url = reverse("interviews-interviewer", args=[interview.pk, interview.interviewer_token])
    return redirect(f"{url}?q={item.number}")


@require_GET
def interviewer_scorecard(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    interview = _get_interview_for_token(pk, token)
    if interview.status != Status.FINISHED:
        return redirect("interviews-interviewer", interview.pk, interview.interviewer_token)
    md = reverse("interviews-interviewer-scorecard-md", args=[interview.pk, interview.interviewer_token])
    return _render_scorecard(request, interview, md, interviewer=True)


@require_GET
def interviewer_scorecard_md(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    interview = _get_interview_for_token(pk, token)
    if not interview.is_finished:
        raise Http404("The scorecard is ready when the interview ends")
    return _markdown(request, interview)
