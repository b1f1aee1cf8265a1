"""Lab pages: the list, a lab with its steps and run form, a run followed live, its results and questions."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from labs import results as results_maths
from labs.forms import RunForm
from labs.loader import caps_from_settings
from labs.models import Lab, LabAnswer, LabRun, RunStatus
from labs.params import API_DEFAULTS, API_LABELS, validate_request
from labs.services import (
    ActiveRunExists,
    CompareError,
    InvalidRun,
    NotAnswerable,
    QueueFull,
    answer_checkpoint,
    checkpoint_state,
    comparison,
    question_variables,
    run_diagnosis,
    runs_to_compare,
    start_run,
)
from quizsite.lib.markdown import render_markdown
from quizsite.questions.grading import Grade
from quizsite.questions.grading.template import render_template
from quizsite.quizzes.forms import response_from_post
from quizsite.sitecache.middleware import content_page

EARLIER_RUNS = 8
COMPARE_CHOICES = 50


def _get_lab(slug: str) -> Lab:
    return get_object_or_404(Lab.objects.live(), slug=slug)


def _get_run_for_user(request: HttpRequest, pk: int) -> LabRun:
    run = get_object_or_404(LabRun.objects.select_related("lab"), pk=pk)
    if run.user_id != request.user.pk:
        raise Http404("No such run")
    run.expire_if_stale(timezone.now())
    return run


def _earlier_runs(lab: Lab, user, current: LabRun | None = None) -> list[LabRun]:
    if not user.is_authenticated:
        return []
    runs = list(LabRun.objects.filter(lab=lab, user=user).order_by("-created_at", "-pk")[:EARLIER_RUNS])
    if current is not None and all(r.pk != current.pk for r in runs):
        runs.insert(0, current)
    return runs


@content_page
def lab_list(request: HttpRequest) -> HttpResponse:
    labs = list(Lab.objects.live())
    latest: dict[int, LabRun] = {}
    if request.user.is_authenticated:
        for run in LabRun.objects.filter(user=request.user).order_by("-created_at", "-pk"):
            latest.setdefault(run.lab_id, run)
    return render(request, "labs/list.html", {"rows": [(lab, latest.get(lab.pk)) for lab in labs]})


@content_page
def lab_detail(request: HttpRequest, slug: str, form: RunForm | None = None, status: int = 200) -> HttpResponse:
    lab = _get_lab(slug)
    caps = caps_from_settings()
    spec = lab.spec()
    active = None
    if request.user.is_authenticated:
        active = LabRun.objects.for_user(request.user).active().select_related("lab").first()
        if active is not None:
            active.expire_if_stale(timezone.now())
            active = active if active.is_active else None
    runs = _earlier_runs(lab, request.user)
    context = {
        "lab": lab,
        "spec": spec,
        "presets": [(p, results_maths.describe_config(_preset_config(spec, p.id))) for p in spec.presets],
        "form": form or RunForm(spec, caps),
        "fixed": _fixed_knobs(spec),
        "active": active,
        "runs": runs,
        "can_compare": sum(1 for r in runs if r.status == RunStatus.SUCCEEDED) >= 2,
        "questions": lab.checkpoint_questions(),
    }
    return render(request, "labs/detail.html", context, status=status)


def _preset_config(spec, preset_id: str) -> dict:
    return validate_request(spec, {"preset": preset_id}, caps_from_settings()).config


def _fixed_knobs(spec) -> list[tuple[str, str]]:
    """The model API knobs this lab sets to something other than the API's default, for the form."""
    fixed = []
    for knob in spec.api.values():
        if not knob.adjustable and knob.default != API_DEFAULTS.get(knob.name):
            fixed.append((API_LABELS[knob.name], results_maths.plain(knob.default)))
    return fixed


@login_required
@require_POST
def lab_start(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _get_lab(slug)
    preset = request.POST.get("preset", "")
    form = RunForm(lab.spec(), caps_from_settings(), request.POST)
    if preset:
        data = {"preset": preset}
    elif form.is_valid():
        data = form.request_data()
    else:
        return lab_detail(request, slug, form=form, status=400)
    try:
        run = start_run(lab, request.user, data, timezone.now())
    except InvalidRun as exc:
        if preset:
            messages.error(request, f"That preset cannot run here: {exc}")
            return redirect(lab)
        form.add_request_errors(exc.errors)
        return lab_detail(request, slug, form=form, status=400)
    except ActiveRunExists as exc:
        messages.warning(request, str(exc))
        return redirect(exc.run if exc.run is not None else lab)
    except QueueFull as exc:
        messages.error(request, str(exc))
        response = lab_detail(request, slug, form=None if preset else form, status=429)
        response["Retry-After"] = str(exc.retry_after_s)
        return response
    return redirect(run)


def chart_marks(diagnosis: dict | None) -> dict:
    """What the run's charts mark: warm-up and ramp shaded, the knee and the first sustained SLO breach."""
    if not diagnosis:
        return {}
    breach = diagnosis.get("first_breach") or {}
    return {
        "bands": [{"kind": p["kind"], "from": p["start_s"], "to": p["end_s"]}
                  for p in diagnosis.get("phases") or [] if p.get("kind") in ("warmup", "ramp")],
        "knee_s": diagnosis.get("knee_second"), "knee_users": diagnosis.get("knee_users"),
        "breach_s": breach.get("second"), "breach_users": breach.get("users"),
        "plateau_rps": diagnosis.get("plateau_rps"),
    }


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    now = timezone.now()
    samples = run.samples_since()
    checkpoints = _checkpoints(run)
    diagnosis = run_diagnosis(run)
    context = {
        "run": run,
        "lab": run.lab,
        "progress": run.progress(now),
        "elapsed": run.elapsed_s(now),
        "samples": samples,
        "chart": {"samples": samples, "slo_ms": run.lab.slo_ms, "duration_s": run.duration_s,
                  "marks": chart_marks(diagnosis),
                  "llm": _stream_chart(run)},
        "results": run.results,
        "diagnosis": diagnosis,
        "whole_run": run.has_results and not run.is_active,
        "config_line": run.config_summary(),
        "runs": _earlier_runs(run.lab, request.user, run),
        "checkpoints": checkpoints,
        "queue": run.queue_place(now),
        "live": {"id": run.pk, "status": run.status, "api": f"/api/v1/runs/{run.pk}"},
    }
    return render(request, "labs/run.html", context)


def _stream_chart(run) -> dict | None:
    """For a streamed (LLM) run, the SLO lines of its TTFT and ITL charts; None for the other scenarios."""
    if (run.config or {}).get("scenario") != "llm_stream.py":
        return None
    env = (run.config or {}).get("env") or {}

    def slo(name: str) -> float | None:
        try:
            return float(env[name])
        except (KeyError, TypeError, ValueError):
            return None

    return {"ttft_slo_ms": slo("TTFT_SLO_MS"), "itl_slo_ms": slo("ITL_SLO_MS")}


class _Unmeasured(dict):
    """The numbers a run could not measure: a dash in the prompt, never the template text."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> str:
        return "—"


def _checkpoints(run: LabRun) -> list[dict]:
    items = []
    latest: dict[int, LabAnswer] = {}
    for answer in run.answers.order_by("-created_at", "-pk"):
        latest.setdefault(answer.question_id, answer)
    for question in run.lab.checkpoint_questions():
        state = checkpoint_state(run, question)
        answer = latest.get(question.pk)
        item = {"question": question, "answer": answer, "reason": "", "state": state,
                "grade": state.shown(Grade.from_dict(answer.grade)).to_dict() if answer else None}
        try:
            variables = question_variables(run, question)
            item["prompt_html"] = question.prompt_html(variables)
            item["explanation_html"] = question.explanation_html(variables) if state.revealed else ""
        except NotAnswerable as exc:
            item["reason"] = str(exc)
            item["prompt_html"] = render_markdown(render_template(question.prompt, _Unmeasured()))
        items.append(item)
    return items


@login_required
def lab_compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Two of the learner's runs of a lab side by side: pick them, then see the figures and what changed."""
    lab = _get_lab(slug)
    runs = list(LabRun.objects.filter(lab=lab, user=request.user, status=RunStatus.SUCCEEDED)
                .order_by("-created_at", "-pk")[:COMPARE_CHOICES])
    runs = [r for r in runs if r.has_results]
    raw_a, raw_b = request.GET.get("a", "").strip(), request.GET.get("b", "").strip()
    # The choices shown: the runs asked for, else the newest two (the baseline the older one).
    selected_a = raw_a or (str(runs[1].pk) if len(runs) > 1 else "")
    selected_b = raw_b or next((str(r.pk) for r in runs if str(r.pk) != selected_a), "")
    context = {"lab": lab, "runs": runs, "selected_a": selected_a, "selected_b": selected_b, "error": "",
               "result": None}
    status = 200
    if raw_a and raw_b:
        try:
            run_a, run_b = runs_to_compare(request.user, raw_a, raw_b)
            if run_a.lab_id != lab.pk:
                raise CompareError(f"run {run_a.pk} is a run of another lab ({run_a.lab.title})", 409)
            context["result"] = comparison(run_a, run_b)
            context["run_a"], context["run_b"] = run_a, run_b
        except CompareError as exc:
            if exc.status == 404:
                raise Http404(str(exc)) from None
            context["error"], status = str(exc), exc.status
    return render(request, "labs/compare.html", context, status=status)


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    if run.is_active:
        run.request_cancel(timezone.now())
        messages.info(request, "Cancelling: the load stops within a second or two.")
    return redirect(run)


@login_required
@require_POST
def run_answer(request: HttpRequest, pk: int, question: str) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    item = next((q for q in run.lab.checkpoint_questions() if q.slug == question), None)
    if item is None:
        raise Http404("No such checkpoint question in this lab")
    answer = None
    try:
        variables = question_variables(run, item)
        result, answer = answer_checkpoint(run, item, response_from_post(item, request.POST), request.user,
                                           timezone.now(), request.POST.get("idempotency_key", ""))
        status = 200 if answer else 400
        if not checkpoint_state(run, item).revealed:
            variables = None
    except NotAnswerable as exc:
        result, variables, status = None, {}, 409
        messages.error(request, str(exc))
    context = {
        "question": item, "result": result, "run": run, "submitted": request.POST,
        "selected": request.POST.getlist("answer"),
        "explanation_html": item.explanation_html(variables) if variables is not None else "",
        "flag_ref": answer.flag_ref if answer is not None else "",
    }
    if request.htmx:
        return render(request, "labs/_feedback.html", context, status=status)
    if result is not None and answer is None:
        messages.warning(request, " ".join(result.feedback))
    return redirect(f"{run.get_absolute_url()}#q-{item.slug}")


@login_required
def run_json(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    body = json.dumps(run.to_dict(timezone.now()), indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="lab-{run.lab.slug}-run-{run.pk}.json"'
    return response


@login_required
def run_csv(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    response = HttpResponse(results_maths.samples_csv(run.samples_since()), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="lab-{run.lab.slug}-run-{run.pk}-samples.csv"'
    return response

