from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "quizsite.questions"
    label = "questions"
    verbose_name = "Questions"

    def ready(self) -> None:
        from quizsite.questions.content import register_section
        from quizsite.questions.loader import QuestionSection

        register_section(QuestionSection())
