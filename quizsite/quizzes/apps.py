from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizsite.quizzes"
    label = "quizzes"
    verbose_name = "Quizzes"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from quizsite.quizzes.signals import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="quizzes-claim-anonymous-work")
        from quizsite.questions.content import register_section
        from quizsite.questions.flags import register_kind
        from quizsite.questions.locks import register_provider
        from quizsite.quizzes.loader import QuizSection
        from quizsite.quizzes.models import FLAG_KIND
        from quizsite.quizzes.services import flag_target, open_exam_question_ids

        register_section(QuizSection())
        register_kind(FLAG_KIND, flag_target)
        register_provider(open_exam_question_ids)
