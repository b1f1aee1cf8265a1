from django.urls import path

from quizsite.cards import views

urlpatterns = [
    # cards-
    path("", views.review, name="cards-review"),
    path("rate", views.rate, name="cards-rate"),
    path("undo", views.undo, name="cards-undo"),
    path("stats/", views.stats, name="cards-stats"),
    path("decks/", views.decks, name="cards-decks"),
    path("decks/export", views.export, name="cards-export"),
    path("decks/import", views.import_csv, name="cards-import"),
    path("personal/add", views.personal_add, name="cards-personal-add"),
    path("personal/<int:pk>/delete", views.personal_delete, name="cards-personal-delete"),
    path("settings/", views.preferences, name="cards-settings"),
]
