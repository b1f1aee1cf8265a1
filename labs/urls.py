from django.urls import path

from labs import views

urlpatterns = [
    # labs-
    path("", views.lab_list, name="labs-list"),
    path("runs/<int:pk>/", views.run_detail, name="labs-run"),
    path("runs/<int:pk>/cancel", views.run_cancel, name="labs-run-cancel"),
    path("runs/<int:pk>/answer/<slug:question>", views.run_answer, name="labs-run-answer"),
    path("runs/<int:pk>/run.json", views.run_json, name="labs-run-json"),
    path("runs/<int:pk>/samples.csv", views.run_csv, name="labs-run-csv"),
    path("<slug:slug>/", views.lab_detail, name="labs-detail"),
    path("<slug:slug>/start", views.lab_start, name="labs-start"),
    path("<slug:slug>/compare/", views.lab_compare, name="labs-compare"),
]
