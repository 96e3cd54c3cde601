"""factory_boy factories for unit tests. End-to-end tests use the seed bundle instead."""

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from curation.models import Briefing, Claim, Initiative, Organization, Section, Source, Topic
from curation.roles import ensure_roles

SOURCE_TEXT = (
    "Cyberport said on Thursday that its AI Subsidy Scheme, worth HK$3 billion, had approved "
    "about ten projects. \u201cWe are delighted\u201d, said the chairman \u2014 adding that more "
    "than 2,200 companies now work in the community.\n\nThe   supercomputing centre is over 90% "
    "utilised, it's reported."
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
        self.save()


def editor(**kwargs):
    ensure_roles()  # a transactional test before this one may have emptied the database
    return UserFactory(groups=["Editor"], **kwargs)


def reviewer(**kwargs):
    ensure_roles()
    return UserFactory(groups=["Reviewer"], **kwargs)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Topic {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organization.Kind.COMPANY


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source document {n}")
    publisher = "Example News"
    source_type = Source.SourceType.NEWS_REPORT
    reliability = Source.Reliability.B
    text = SOURCE_TEXT


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"initiative-{n}")
    name = factory.Sequence(lambda n: f"Initiative {n}")
    kind = Initiative.Kind.FUNDING_SCHEME
    status = Initiative.Status.OPERATIONAL
    lead = factory.SubFactory(OrganizationFactory)


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"claim-{n}")
    statement = "The AI Subsidy Scheme is worth HK$3 billion."
    source = factory.SubFactory(SourceFactory)
    quote = "its AI Subsidy Scheme, worth HK$3 billion"
    kind = Claim.Kind.FACT
    confidence = Claim.Confidence.HIGH
    confidence_rationale = "The scheme's operator says so."
    status = Claim.Status.VERIFIED
    # Made retracted, a claim stands for one withdrawn after readers saw it (public ones are
    # stamped by `save()`); a draft retracted before review goes through `workflow.transition`.
    first_public_at = factory.LazyAttribute(
        lambda claim: timezone.now() if claim.status == Claim.Status.RETRACTED else None
    )


class BriefingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Briefing
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"briefing-{n}")
    title = factory.Sequence(lambda n: f"Briefing {n}")
    standfirst = "What the sources say."


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    briefing = factory.SubFactory(BriefingFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Section {n}")
    body = ""
