"""The one seam through which answers anywhere reach other apps (the flashcard schedule).

answer_graded is sent with: user (signed-in learner), question, grade (a Grade), source
("question", "quiz", "api", "interview", "lab") after every graded, valid answer.
"""

from django.dispatch import Signal

answer_graded = Signal()
