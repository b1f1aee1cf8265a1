from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizsite.quizzes"
    label = "quizzes"
    verbose_name = "Quizzes"

    def ready(self) -> None:
        from quizsite.questions.content import register_section
        from quizsite.quizzes.loader import QuizSection

        register_section(QuizSection())
