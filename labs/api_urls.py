from django.urls import path

from labs import api

urlpatterns = [
    # api-labs-
    path("labs/", api.LabList.as_view(), name="api-labs"),
    path("labs/<slug:slug>/", api.LabDetail.as_view(), name="api-lab"),
    path("labs/<slug:slug>/runs", api.LabRuns.as_view(), name="api-lab-runs"),
    path("runs/compare", api.RunCompare.as_view(), name="api-runs-compare"),
    path("runs/<int:pk>", api.RunDetail.as_view(), name="api-run"),
    path("runs/<int:pk>/cancel", api.RunCancel.as_view(), name="api-run-cancel"),
    path("runs/<int:pk>/answers", api.RunAnswers.as_view(), name="api-run-answers"),
]
