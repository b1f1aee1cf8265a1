from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "quizsite.cards"
    label = "cards"
    verbose_name = "Flashcards"

    def ready(self) -> None:
        from quizsite.cards.services import on_answer_graded
        from quizsite.questions.signals import answer_graded

        answer_graded.connect(on_answer_graded, dispatch_uid="cards-answer-graded")
