"""Members: the club's people. The User is the login (e-mail, case-insensitive)."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def default_language() -> str:
    """The site's default language (LANGUAGE_CODE), read when a row is created."""
    return settings.LANGUAGE_CODE


def normalize_email(email: str | None) -> str:
    """One spelling per address: Unicode NFKC, surrounding space trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


class UserQuerySet(models.QuerySet["User"]):
    def with_email(self, email: str) -> UserQuerySet:
        return self.filter(email=normalize_email(email))


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None):
        return self.get(email=normalize_email(username))

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        email = normalize_email(email)
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields.get("is_staff") is not True or extra_fields.get("is_superuser") is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=default_language
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can log into the admin dashboard."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Unselect this instead of deleting accounts."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Stored lower-cased, so the unique index on email is case-insensitive too.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="members_user_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email.split("@")[0]


# --- The CRM: stores, members, consent, purchases, scores, segments ---------------------------


class Store(models.Model):
    """A shop, or the web shop: where a purchase was made and a member's preferred store."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    city = models.CharField(_("city"), max_length=80, blank=True)
    is_online = models.BooleanField(_("web shop"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Interest(models.Model):
    """A tag staff manage (e.g. "Running", "Outdoor cooking") that members choose or are given."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    name_en = models.CharField(
        _("name (English)"),
        max_length=80,
        blank=True,
        help_text=_("Shown on English pages; empty: the name above."),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language (the club's own name when there is no English)."""
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        return (self.name_en or self.name) if language == "en" else self.name


class MemberQuerySet(models.QuerySet["Member"]):
    def active(self) -> MemberQuerySet:
        return self.filter(status=Member.Status.ACTIVE)

    def not_erased(self) -> MemberQuerySet:
        return self.exclude(status=Member.Status.ERASED)


class Member(models.Model):
    """A club member. May exist without a login (joined at the till, imported); linked to a User
    when they sign up with the same e-mail. Changed only through members.services."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal")
        STORE = "store", _("In store")
        IMPORT = "import", _("Import")
        API = "api", _("API")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ERASED = "erased", _("Erased")

    number = models.CharField(
        _("membership number"),
        max_length=12,
        unique=True,
        help_text=_("Printed on the membership card: digits with a check digit."),
    )
    user = models.OneToOneField(
        User,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(
        _("mobile phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +46701234567.")
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=default_language
    )
    preferred_store = models.ForeignKey(
        Store,
        verbose_name=_("preferred store"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    interests = models.ManyToManyField(
        Interest, verbose_name=_("interests"), blank=True, related_name="members"
    )
    source = models.CharField(
        _("joined through"), max_length=10, choices=Source.choices, default=Source.PORTAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
        help_text=_("The member whose referral link this member signed up with."),
    )
    staff_contact = models.ForeignKey(
        User,
        verbose_name=_("contact at the club"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_for_members",
        limit_choices_to={"is_staff": True},
    )
    notes = models.TextField(_("staff notes"), blank=True)
    joined_at = models.DateTimeField(_("member since"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-joined_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=~models.Q(email=""),
                name="members_member_email_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="members_member_email_lowercase"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="erased") | models.Q(erased_at__isnull=False),
                name="members_member_erased_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["postcode"]),
        ]
        permissions = [
            ("export_member", _("Can export members (CSV, ad-platform match)")),
            ("import_member", _("Can import members and purchases from CSV")),
            ("erase_member", _("Can erase a member's personal data")),
            ("view_member_contact", _("Can see members' names and contact details")),
            ("view_member_profile", _("Can see members' language, store, interests and source")),
            ("view_member_personal", _("Can see members' birth dates and addresses")),
            ("view_member_notes", _("Can see staff notes on members")),
        ]

    def __str__(self) -> str:
        # The admin names a member by display name and number alone to a role that may not see
        # the whole name or e-mail (members.admin.profiles sets this on the object it shows).
        if self.__dict__.get("label_without_contact"):
            return f"{self.display_name} ({self.number})"
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name or self.email or _('Member')} ({self.number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        """The first name and the initial of the last ("Anna K."): who a member is in the
        forums, for staff who may not see the whole name."""
        initial = f"{self.last_name[:1]}." if self.last_name else ""
        return f"{self.first_name} {initial}".strip() or str(_("Member"))


class ConsentPurpose(models.TextChoices):
    EMAIL_MARKETING = "email", _("E-mail marketing")
    SMS_MARKETING = "sms", _("SMS marketing")
    PROFILING = "profiling", _("Personalised offers and profiling")
    AD_MATCHING = "ad_matching", _("Matching with advertising platforms")


class ConsentText(models.Model):
    """One version of the text shown when asking for a consent. Never edited once used: a change
    of wording is a new version."""

    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    version = models.PositiveIntegerField(_("version"))
    text_sv = models.TextField(_("text (Swedish)"))
    text_en = models.TextField(_("text (English)"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="members_consenttext_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version}"


class ConsentEvent(models.Model):
    """Append-only: each grant or withdrawal of one purpose. The current state of a purpose is
    its latest event."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal")
        STORE = "store", _("In store")
        IMPORT = "import", _("Import")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
        STAFF = "staff", _("Staff")
        API = "api", _("API")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="consent_events"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("granted"))
    text = models.ForeignKey(
        ConsentText,
        verbose_name=_("text shown"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    actor = models.ForeignKey(
        User,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["member", "purpose", "-created_at", "-id"], name="members_consent_latest"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(granted=False) | models.Q(text__isnull=False),
                name="members_consent_grant_has_text",
            )
        ]

    def __str__(self) -> str:
        verb = _("granted") if self.granted else _("withdrawn")
        return f"{self.get_purpose_display()} {verb} {self.created_at:%Y-%m-%d}"


class Purchase(models.Model):
    """A purchase online or in store, or a return (a negative amount linked to the original).
    The same (source, external_id) is stored once, however often it is sent."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        STORE = "store", _("In store")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="purchases"
    )
    purchased_at = models.DateTimeField(_("when"), db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchases",
    )
    source = models.CharField(
        _("source system"), max_length=40, help_text=_("e.g. pos, eshop, import")
    )
    external_id = models.CharField(_("external id"), max_length=100)
    original = models.ForeignKey(
        "self",
        verbose_name=_("returned purchase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-purchased_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="members_purchase_source_external_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) | models.Q(original__isnull=False),
                name="members_purchase_negative_only_returns",
            ),
            models.CheckConstraint(
                condition=models.Q(original__isnull=True) | models.Q(amount__lte=0),
                name="members_purchase_returns_not_positive",
            ),
        ]
        indexes = [models.Index(fields=["member", "-purchased_at"])]

    def __str__(self) -> str:
        return f"{self.purchased_at:%Y-%m-%d} {self.amount} {self.currency}"

    @property
    def is_return(self) -> bool:
        return self.original_id is not None


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(
        Purchase, verbose_name=_("purchase"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.CharField(_("product"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3, default=1)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"


class MemberScore(models.Model):
    """RFM, spend, CLV and churn risk per member, recomputed for everyone by one set-based task."""

    class PreferredChannel(models.TextChoices):
        NONE = "none", _("No purchases")
        ONLINE = "online", _("Online")
        STORE = "store", _("In store")
        BOTH = "both", _("Both")

    member = models.OneToOneField(
        Member,
        verbose_name=_("member"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="score",
    )
    computed_at = models.DateTimeField(_("computed"))
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    days_since_last_purchase = models.PositiveIntegerField(
        _("days since last purchase"), null=True, blank=True
    )
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0)
    purchase_count_12m = models.PositiveIntegerField(_("purchases, 12 months"), default=0)
    total_spend = models.DecimalField(_("total spend"), max_digits=14, decimal_places=2, default=0)
    spend_12m = models.DecimalField(
        _("spend, 12 months"), max_digits=14, decimal_places=2, default=0
    )
    average_order_value = models.DecimalField(
        _("average order value"), max_digits=12, decimal_places=2, default=0
    )
    recency_score = models.PositiveSmallIntegerField(_("R"), default=0, db_index=True)
    frequency_score = models.PositiveSmallIntegerField(_("F"), default=0, db_index=True)
    monetary_score = models.PositiveSmallIntegerField(_("M"), default=0, db_index=True)
    clv_historic = models.DecimalField(
        _("customer lifetime value"), max_digits=14, decimal_places=2, default=0
    )
    clv_predicted_12m = models.DecimalField(
        _("predicted value, next 12 months"), max_digits=14, decimal_places=2, default=0
    )
    churn_risk = models.DecimalField(
        _("churn risk"),
        max_digits=4,
        decimal_places=3,
        default=0,
        help_text=_("0 to 1: time since the last purchase against the member's usual interval."),
    )
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=10,
        choices=PreferredChannel.choices,
        default=PreferredChannel.NONE,
    )

    class Meta:
        verbose_name = _("member score")
        verbose_name_plural = _("member scores")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recency_score__lte=5)
                & models.Q(frequency_score__lte=5)
                & models.Q(monetary_score__lte=5),
                name="members_score_rfm_range",
            ),
            models.CheckConstraint(
                condition=models.Q(churn_risk__gte=0) & models.Q(churn_risk__lte=1),
                name="members_score_churn_range",
            ),
        ]

    def __str__(self) -> str:
        rfm = f"R{self.recency_score} F{self.frequency_score} M{self.monetary_score}"
        return f"{self.member_id}: {rfm}"


class Segment(models.Model):
    """A saved set of rules over members (see members.segments); compiled to one query."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    rules = models.JSONField(_("rules"), default=dict)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SegmentSnapshot(models.Model):
    """The members of a segment at one moment, frozen."""

    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="snapshots"
    )
    rules = models.JSONField(_("rules at the time"))
    member_count = models.PositiveIntegerField(_("members"))
    members = models.ManyToManyField(
        Member, verbose_name=_("members"), related_name="+", blank=True
    )
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("frozen at"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment snapshot")
        verbose_name_plural = _("segment snapshots")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.segment} {self.created_at:%Y-%m-%d %H:%M}"


# --- Imports (gdpr-import helper) -------------------------------------------------------------


class MemberImport(models.Model):
    """One uploaded CSV of members or purchases, kept between the preview and the confirmation.

    The uploaded bytes are stored here (not on disk) so the confirmation imports exactly what
    was previewed; they are cleared once the import is done or cancelled, so personal data does
    not linger. Written only by members.services.imports."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("Members")
        PURCHASES = "purchases", _("Purchases")

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Checked, waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Could not be read")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content = models.BinaryField(_("file content"), blank=True, default=b"")
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    uploaded_by = models.ForeignKey(
        User,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREVIEWED
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    valid_count = models.PositiveIntegerField(_("valid rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    notices = models.JSONField(_("notices"), default=list, blank=True)
    skip_bad_rows = models.BooleanField(_("skip rows with errors"), default=False)
    progress = models.PositiveIntegerField(
        _("rows done"), default=0, help_text=_("Rows imported so far; the import resumes here.")
    )
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("CSV import")
        verbose_name_plural = _("CSV imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.filename} ({self.created_at:%Y-%m-%d %H:%M})"


class ClubPage(models.Model):
    """A page the club writes and edits in the admin, shown at sign-up and in the portal: the
    membership terms and the privacy notice. Markdown, in Swedish and English."""

    class Kind(models.TextChoices):
        TERMS = "terms", _("Membership terms")
        PRIVACY = "privacy", _("Privacy notice")

    kind = models.CharField(_("page"), max_length=20, choices=Kind.choices, unique=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120)
    body_sv = models.TextField(_("text (Swedish)"), help_text=_("Markdown: ## headings, lists."))
    body_en = models.TextField(_("text (English)"), help_text=_("Markdown: ## headings, lists."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("club page")
        verbose_name_plural = _("club pages")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def _in_language(self, field: str) -> str:
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        preferred = getattr(self, f"{field}_{'en' if language == 'en' else 'sv'}")
        return preferred or getattr(self, f"{field}_sv") or getattr(self, f"{field}_en")

    @property
    def title(self) -> str:
        return self._in_language("title")

    @property
    def body(self) -> str:
        return self._in_language("body")
