from django.contrib import admin

from quizsite.cards.models import CardPreferences, CardState, Deck, PersonalCard, Review


@admin.register(CardPreferences)
class CardPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "desired_retention", "new_per_day", "time_zone"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "created_at"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]


@admin.register(PersonalCard)
class PersonalCardAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "deck", "tags", "source", "created_at"]
    list_select_related = ["user", "deck"]
    search_fields = ["front", "back", "tags", "user__username"]
    raw_id_fields = ["user", "deck"]
    readonly_fields = ["front_hash", "created_at"]


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    can_delete = False
    fields = ["reviewed_at", "rating", "source", "prior", "desired_retention"]
    readonly_fields = fields


@admin.register(CardState)
class CardStateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "due", "last_review", "reps", "lapses"]
    list_filter = ["status"]
    list_select_related = ["user", "question"]
    search_fields = ["user__username", "question__slug"]
    raw_id_fields = ["user", "question", "personal_card"]
    readonly_fields = ["fsrs", "version"]
    inlines = [ReviewInline]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["reviewed_at", "user", "card_state", "rating", "source", "prior"]
    list_filter = ["rating", "source", "prior"]
    list_select_related = ["user", "card_state__question"]
    search_fields = ["user__username"]
    raw_id_fields = ["user", "card_state"]
    date_hierarchy = "reviewed_at"
