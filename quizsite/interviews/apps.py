from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "quizsite.interviews"
    label = "interviews"
    verbose_name = "Mock interviews"

    def ready(self) -> None:
        from quizsite.interviews.models import FLAG_KIND, FOLLOW_UP_FLAG_KIND
        from quizsite.interviews.services import flag_target, follow_up_flag_target
        from quizsite.questions.flags import register_kind

        register_kind(FLAG_KIND, flag_target)
        register_kind(FOLLOW_UP_FLAG_KIND, follow_up_flag_target)
