from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "quizsite.interviews"
    label = "interviews"
    verbose_name = "Mock interviews"
