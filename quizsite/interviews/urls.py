from django.urls import path

from quizsite.interviews import views

urlpatterns = [
    # interviews- (the candidate, signed in)
    path("", views.interview_list, name="interviews-list"),
    path("start", views.interview_start, name="interviews-start"),
    path("<int:pk>/", views.interview_detail, name="interviews-detail"),
    path("<int:pk>/save", views.interview_save, name="interviews-save"),
    path("<int:pk>/next", views.interview_next, name="interviews-next"),
    path("<int:pk>/finish", views.interview_finish, name="interviews-finish"),
    path("<int:pk>/scorecard", views.interview_scorecard, name="interviews-scorecard"),
    path("<int:pk>/scorecard.md", views.interview_scorecard_md, name="interviews-scorecard-md"),
    path("<int:pk>/interviewer-link", views.interview_link, name="interviews-link"),
    # interviews-interviewer- (by private link, no login)
    path("<int:pk>/i/<str:token>/", views.interviewer_view, name="interviews-interviewer"),
    path("<int:pk>/i/<str:token>/live", views.interviewer_live, name="interviews-interviewer-live"),
    path("<int:pk>/i/<str:token>/ticks", views.interviewer_ticks, name="interviews-interviewer-ticks"),
    path("<int:pk>/i/<str:token>/override", views.interviewer_override, name="interviews-interviewer-override"),
    path("<int:pk>/i/<str:token>/notes", views.interviewer_notes, name="interviews-interviewer-notes"),
    path("<int:pk>/i/<str:token>/scorecard", views.interviewer_scorecard, name="interviews-interviewer-scorecard"),
    path("<int:pk>/i/<str:token>/scorecard.md", views.interviewer_scorecard_md,
         name="interviews-interviewer-scorecard-md"),
]
