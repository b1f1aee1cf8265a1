from rest_framework import serializers

CARD_ID_HELP = 'A card id: "q-<question slug>" for a question, "p-<id>" for one of your personal cards.'


class IntervalsSerializer(serializers.Serializer):
    again = serializers.CharField(help_text='e.g. "1m"')
    hard = serializers.CharField(help_text='e.g. "6m"')
    good = serializers.CharField(help_text='e.g. "10m"')
    easy = serializers.CharField(help_text='e.g. "8d"')


class CardSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=CARD_ID_HELP)
    kind = serializers.ChoiceField(choices=["question", "personal"])
    title = serializers.CharField()
    deck = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    state = serializers.ChoiceField(choices=["new", "learning", "review", "relearning"])
    due = serializers.DateTimeField(allow_null=True, help_text="Null for a new card.")
    version = serializers.IntegerField(help_text="Send it back with the review so a resent review counts once.")
    front_html = serializers.CharField()
    back_html = serializers.CharField()
    intervals = IntervalsSerializer(help_text="The next interval each rating would give now.")


class DueCountsSerializer(serializers.Serializer):
    due = serializers.IntegerField(help_text="Cards due now.")
    new = serializers.IntegerField(help_text="New cards available today (within the daily limit).")
    new_remaining_today = serializers.IntegerField()
    new_per_day = serializers.IntegerField()


class DueSerializer(serializers.Serializer):
    counts = DueCountsSerializer()
    next_due = serializers.DateTimeField(allow_null=True, help_text="When the next card not yet due comes due.")
    cards = CardSerializer(many=True)


class ReviewRequestSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=[(1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy")],
                                     help_text="1 Again, 2 Hard, 3 Good, 4 Easy.")
    version = serializers.IntegerField(min_value=0, required=False,
                                       help_text="The card's version when you fetched it (idempotency key): "
                                                 "a review whose version is out of date gets 409 and counts once.")
    duration_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, required=False)


class ReviewResponseSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=CARD_ID_HELP)
    review_id = serializers.IntegerField()
    rating = serializers.IntegerField()
    reviewed_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=["learning", "review", "relearning"])
    due = serializers.DateTimeField()
    stability = serializers.FloatField()
    difficulty = serializers.FloatField()
    step = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField()
    lapses = serializers.IntegerField()
    version = serializers.IntegerField()


class UndoResponseSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=CARD_ID_HELP)
    rating = serializers.IntegerField(help_text="The rating that was taken back.")


class RetentionSerializer(serializers.Serializer):
    recalled = serializers.IntegerField()
    total = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class StatsRetentionSerializer(serializers.Serializer):
    last_30_days = RetentionSerializer()
    all_time = RetentionSerializer()
    desired = serializers.FloatField()


class DayCountSerializer(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()


class HeatmapSerializer(serializers.Serializer):
    days = DayCountSerializer(many=True, help_text="Days with reviews, by the learner's local date.")
    total = serializers.IntegerField()
    active_days = serializers.IntegerField()
    today = serializers.IntegerField()


class CardsByStateSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    learning = serializers.IntegerField()
    review = serializers.IntegerField()
    relearning = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    today = serializers.DateField()
    cards_by_state = CardsByStateSerializer()
    due_now = serializers.IntegerField()
    retention = StatsRetentionSerializer(help_text="True retention: reviews of Review-state cards rated above Again.")
    forecast = DayCountSerializer(many=True, help_text="Cards due on each of the next 30 local days.")
    heatmap = HeatmapSerializer()
