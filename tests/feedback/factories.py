import factory

from feedback.models import Invitation, Question, Survey
from tests.members.factories import MemberFactory


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    title_sv = factory.Sequence(lambda n: f"Vad tycker du? {n}")
    title_en = factory.Sequence(lambda n: f"What do you think? {n}")
    status = Survey.Status.OPEN


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    order = factory.Sequence(lambda n: n)
    kind = Question.Kind.NPS
    text_sv = "Hur troligt är det att du rekommenderar oss?"
    text_en = "How likely are you to recommend us?"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    member = factory.SubFactory(MemberFactory)
    occasion = factory.Sequence(lambda n: f"test:{n}")
    channel = Invitation.Channel.EMAIL


def nps_survey(**kwargs):
    """An NPS survey with a follow-up text question shown for 0–6 and an optional CSAT."""
    survey = SurveyFactory(**kwargs)
    nps = QuestionFactory(survey=survey, order=1, kind=Question.Kind.NPS)
    why = QuestionFactory(
        survey=survey,
        order=2,
        kind=Question.Kind.TEXT,
        text_sv="Vad kan vi göra bättre?",
        text_en="What could we do better?",
        condition_question=nps,
        condition_min=0,
        condition_max=6,
    )
    csat = QuestionFactory(
        survey=survey,
        order=3,
        kind=Question.Kind.CSAT,
        required=False,
        text_sv="Hur nöjd är du med butiken?",
        text_en="How satisfied are you with the store?",
    )
    return survey, nps, why, csat
