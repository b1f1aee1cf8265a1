"""Grade the adversarial corpus (tests/grading/corpus/) against the rubric questions and print the figures:
the tool an author runs after editing a rubric."""

from statistics import mean

from django.core.management.base import BaseCommand, CommandError

from quizsite.questions.corpus import CLASSES, CROSS_MAX, QuestionReport, load_corpus, report, rubric_specs


def _stats(scores: list[float]) -> str:
    if not scores:
        return "-"
    return f"mean {mean(scores):.2f}  min {min(scores):.2f}  max {max(scores):.2f}  (n={len(scores)})"


class Command(BaseCommand):
    help = "Grade the answer corpus against every rubric question (or one) and print the figures."

    def add_arguments(self, parser):
        parser.add_argument("--question", help="only this question id")
        parser.add_argument("--answers", action="store_true", help="print every answer's score and feedback")

    def handle(self, *args, **options):
        specs = rubric_specs()
        corpus = load_corpus()
        slug = options.get("question")
        if slug and slug not in specs:
            raise CommandError(f"no rubric question {slug!r}")
        slugs = [slug] if slug else sorted(specs)
        reports = [report(s, specs, corpus) for s in slugs]
        for item in reports:
            self._question(item, verbose=bool(slug) or options["answers"])
        if len(reports) > 1:
            self._overall(reports)

    def _question(self, item: QuestionReport, verbose: bool) -> None:
        out = self.stdout
        status = "ok" if not item.failures and item.cross_ok else f"{len(item.failures)} off"
        out.write(f"\n== {item.slug} ({status})")
        for kind in CLASSES:
            out.write(f"  {kind:8} {_stats(item.scores(kind))}")
        flag = "" if item.cross_ok else f"  (>= {CROSS_MAX}: too high)"
        out.write(f"  cross    max {item.cross_max:.2f} from {item.cross_from or '-'}{flag}")
        for graded in item.graded:
            fired = ", ".join(graded.misconceptions)
            if verbose or not graded.ok or fired:
                mark = "ok " if graded.ok else "OFF"
                style = f" {graded.answer.style}" if graded.answer.style else ""
                out.write(
                    f"  {mark} [{graded.answer.kind}{style}] {graded.score:.2f} {graded.label}"
                    f"  found: {', '.join(graded.found) or '-'}" + (f"  misconceptions: {fired}" if fired else "")
                )
                if verbose:
                    out.write("      " + graded.answer.text.strip().replace("\n", " ")[:160])
                    for line in graded.feedback:
                        out.write(f"      {line}")

    def _overall(self, reports: list[QuestionReport]) -> None:
        out = self.stdout
        everything = [g for r in reports for g in r.graded]
        out.write("\n== overall")
        for kind in CLASSES:
            scores = [g.score for g in everything if g.answer.kind == kind]
            out.write(f"  {kind:8} {_stats(scores)}")
        strong = [g for g in everything if g.answer.kind == "strong"]
        wrong = [g for g in everything if g.answer.kind == "wrong"]
        if strong:
            out.write(f"  strong >= 0.7: {sum(g.score >= 0.7 for g in strong)}/{len(strong)}")
        if wrong:
            out.write(f"  wrong <= 0.3:  {sum(g.score <= 0.3 for g in wrong)}/{len(wrong)}")
        partial = [g for g in everything if g.answer.kind == "partial"]
        if partial:
            out.write(f"  partial in (0.3, 0.7): {sum(g.ok for g in partial)}/{len(partial)}")
        fails = sum(not g.ok for g in everything)
        out.write(f"  answers off their bar: {fails}/{len(everything)}")
        worst = sorted(reports, key=lambda r: (len(r.failures) + (not r.cross_ok), r.cross_max), reverse=True)
        out.write("  worst questions: " + ", ".join(
            f"{r.slug} ({len(r.failures)} off, cross {r.cross_max:.2f})" for r in worst[:8] if r.failures or not r.cross_ok
        ))
