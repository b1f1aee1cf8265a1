from django.urls import path

from exercises import views

urlpatterns = [
    # exercises-
    path("", views.exercise_list, name="exercises-list"),
    path("submissions/<int:pk>/", views.submission_detail, name="exercises-submission"),
    path("submissions/<int:pk>/edit", views.submission_edit, name="exercises-submission-edit"),
    path("<slug:slug>/", views.exercise_detail, name="exercises-detail"),
    path("<slug:slug>/submit", views.exercise_submit, name="exercises-submit"),
]
