from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "labs"
    label = "labs"
    verbose_name = "Labs"

    def ready(self) -> None:
        from labs.loader import LabSection
        from quizsite.questions.content import register_section

        register_section(LabSection())
