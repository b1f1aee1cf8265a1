from django.urls import path

from quizsite.cards import api

urlpatterns = [
    # api-cards-
    path("cards/due", api.CardsDue.as_view(), name="api-cards-due"),
    path("cards/stats", api.CardStats.as_view(), name="api-cards-stats"),
    path("cards/undo", api.CardUndo.as_view(), name="api-cards-undo"),
    path("cards/<str:card_id>/review", api.CardReview.as_view(), name="api-cards-review"),
]
