from django.apps import AppConfig


class JourneyConfig(AppConfig):
    """The learner's home, the lessons and the guided path: it reads every study app, none reads it."""

    name = "quizsite.journey"
    label = "journey"
    verbose_name = "Learner's journey"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from quizsite.journey.lessons import LessonSection
        from quizsite.journey.signals import on_user_logged_in
        from quizsite.questions.content import register_section

        register_section(LessonSection())

        user_logged_in.connect(on_user_logged_in, dispatch_uid="journey-claim-session-lessons")
