from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    label = "exercises"
    verbose_name = "Exercises"

    def ready(self) -> None:
        from exercises.loader import ExerciseSection
        from quizsite.questions.content import register_section

        register_section(ExerciseSection())
