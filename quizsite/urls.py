from django.contrib import admin
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from quizsite.accounts import api as accounts_api
from quizsite.accounts.throttles import LOGIN, throttled
from quizsite.journey import views as journey_views
from quizsite.questions import api as questions_api
from quizsite.questions import views as questions_views
from quizsite.quizzes import api as quizzes_api
from quizsite import views as site_views
from quizsite.quizzes import views as quizzes_views

# Swagger UI's start-up script is served as a file (the split view), but its styles are partly inline.
API_DOCS_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

api_v1 = [
    path("auth/token", accounts_api.ObtainToken.as_view(), name="api-auth-token"),
    path("topics/", questions_api.TopicList.as_view(), name="api-topics"),
    path("questions/", questions_api.QuestionList.as_view(), name="api-questions"),
    path("questions/<slug:slug>/", questions_api.QuestionDetail.as_view(), name="api-question"),
    path("questions/<slug:slug>/grade", quizzes_api.GradeQuestion.as_view(), name="api-question-grade"),
    path("grade-flags", questions_api.GradeFlags.as_view(), name="api-grade-flags"),
    path("quizzes/", quizzes_api.QuizList.as_view(), name="api-quizzes"),
    path("quizzes/<slug:slug>/", quizzes_api.QuizDetail.as_view(), name="api-quiz"),
    path("quizzes/<slug:slug>/attempts", quizzes_api.StartAttempt.as_view(), name="api-quiz-start"),
    path("attempts/<int:pk>", quizzes_api.AttemptDetail.as_view(), name="api-attempt"),
    path("attempts/<int:pk>/answers", quizzes_api.AttemptAnswer.as_view(), name="api-attempt-answer"),
    path("attempts/<int:pk>/finish", quizzes_api.FinishAttempt.as_view(), name="api-attempt-finish"),
    path("", include("quizsite.cards.api_urls")),
    path("", include("quizsite.interviews.api_urls")),
    path("", include("labs.api_urls")),
    path("", include("exercises.api_urls")),
]

urlpatterns = [
    path("", journey_views.home, name="home"),
    path("favicon.ico", site_views.favicon, name="favicon"),
    # journey- (the lessons; the home page above)
    path("lessons/<slug:slug>/", journey_views.lesson_detail, name="journey-lesson"),
    path("lessons/<slug:slug>/read", journey_views.lesson_read, name="journey-lesson-read"),
    # questions-
    path("questions/", questions_views.question_list, name="questions-list"),
    path("questions/<slug:slug>/", questions_views.question_detail, name="questions-detail"),
    path("questions/<slug:slug>/answer", quizzes_views.question_answer, name="questions-answer"),
    path("grades/flag", questions_views.flag_grade_view, name="questions-flag"),
    # quizzes-
    path("quizzes/", quizzes_views.quiz_list, name="quizzes-list"),
    path("quizzes/build", quizzes_views.quiz_build, name="quizzes-build"),
    path("quizzes/<slug:slug>/", quizzes_views.quiz_detail, name="quizzes-detail"),
    path("quizzes/<slug:slug>/start", quizzes_views.quiz_start, name="quizzes-start"),
    path("attempts/<int:pk>/", quizzes_views.attempt_results, name="quizzes-attempt"),
    path("attempts/<int:pk>/q/<int:number>", quizzes_views.attempt_question, name="quizzes-attempt-question"),
    path("attempts/<int:pk>/finish", quizzes_views.attempt_finish, name="quizzes-attempt-finish"),
    path("history/", quizzes_views.history, name="quizzes-history"),
    path("cards/", include("quizsite.cards.urls")),
    path("interviews/", include("quizsite.interviews.urls")),
    path("labs/", include("labs.urls")),
    path("exercises/", include("exercises.urls")),
    # accounts-
    path("accounts/", include("quizsite.accounts.urls")),
    # api
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", csp_override(API_DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
    path("admin/login/", throttled(LOGIN)(admin.site.login)),
    path("admin/", admin.site.urls),
]

handler404 = "quizsite.views.not_found"
handler500 = "quizsite.views.server_error"
