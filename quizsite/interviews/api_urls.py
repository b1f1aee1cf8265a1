from django.urls import path

from quizsite.interviews import api

urlpatterns = [
    # api-interview(s)
    path("interviews/", api.InterviewList.as_view(), name="api-interviews"),
    path("interviews/<int:pk>", api.InterviewDetail.as_view(), name="api-interview"),
    path("interviews/<int:pk>/current", api.CurrentQuestion.as_view(), name="api-interview-current"),
    path("interviews/<int:pk>/answer", api.SaveAnswer.as_view(), name="api-interview-answer"),
    path("interviews/<int:pk>/next", api.NextQuestion.as_view(), name="api-interview-next"),
    path("interviews/<int:pk>/finish", api.FinishInterview.as_view(), name="api-interview-finish"),
    path("interviews/<int:pk>/scorecard", api.Scorecard.as_view(), name="api-interview-scorecard"),
]
