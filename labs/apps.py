from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "labs"
    label = "labs"
    verbose_name = "Labs"

    def ready(self) -> None:
        from labs.loader import LabSection
        from labs.models import FLAG_KIND
        from labs.services import flag_target
        from quizsite.questions.content import register_section
        from quizsite.questions.flags import register_kind

        register_section(LabSection())
        register_kind(FLAG_KIND, flag_target)
