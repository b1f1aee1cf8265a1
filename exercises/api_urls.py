from django.urls import path

from exercises import api

urlpatterns = [
    # api-exercises-
    path("exercises/", api.ExerciseList.as_view(), name="api-exercises"),
    path("exercises/<slug:slug>/submissions", api.ExerciseSubmissions.as_view(), name="api-exercise-submissions"),
    path("submissions/<int:pk>", api.SubmissionDetail.as_view(), name="api-submission"),
]
