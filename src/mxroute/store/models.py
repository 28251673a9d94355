"""The store's tables: hosted domains and the history of every change made to them.

No business rules here: the service layer validates, decides and records through
the ORM. The constraints below only keep impossible rows out of the database, so a
bug or a hand-written query cannot store a mode or serial that does not exist.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from mxroute.core.routing import Mode

MAX_SERIAL = 2**32 - 1
"""SOA serials are 32-bit unsigned (RFC 1035 §3.3.13), so they need a 64-bit column."""

MODE_CHOICES: list[tuple[str, str]] = [(m.value, m.value.capitalize()) for m in Mode]
DETECTED_MODE_CHOICES: list[tuple[str, str]] = [c for c in MODE_CHOICES if c[0] != Mode.AUTO]
_MODES = [value for value, _ in MODE_CHOICES]
_DETECTED_MODES = [value for value, _ in DETECTED_MODE_CHOICES]


class Domain(models.Model):
    """A domain hosted on this server: who owns it and how its mail is routed."""

    name = models.CharField(
        max_length=253,
        unique=True,
        help_text="Normalised: lower case, A-labels (IDNA), no final dot.",
    )
    # PROTECT: deleting a user must not silently leave their domains to nobody;
    # whoever deletes the account decides first (reassign or remove the domains).
    # Mail routing never depends on the owner, so PROTECT cannot break delivery.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="domains",
        help_text="The user who may manage the domain; empty means administrators only.",
    )
    mode = models.CharField(
        max_length=10,
        choices=MODE_CHOICES,
        default="auto",
        help_text="The chosen routing mode; auto follows the detected one.",
    )
    detected_mode = models.CharField(
        max_length=10,
        choices=DETECTED_MODE_CHOICES,
        null=True,
        blank=True,
        help_text="What the last detection from the MX records gave; empty if never run.",
    )
    detected_at = models.DateTimeField(null=True, blank=True)
    detection_certain = models.BooleanField(
        default=False,
        help_text="False when an exchanger did not resolve and the last known mode was kept.",
    )
    # The doctor's last verdict, kept so the domain list can flag and filter domains
    # with findings without asking DNS for every row it shows.
    findings = models.JSONField(
        default=list,
        blank=True,
        help_text="What 'mxroute doctor' last found wrong (code, severity, message); "
        "[] when it found nothing or never looked.",
    )
    checked_at = models.DateTimeField(
        null=True, blank=True, help_text="When 'mxroute doctor' last looked at the domain."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        constraints = (
            models.CheckConstraint(
                condition=Q(name=Lower("name")) & ~Q(name="") & ~Q(name__endswith="."),
                name="store_domain_name_normalised",
            ),
            models.CheckConstraint(condition=Q(mode__in=_MODES), name="store_domain_mode_known"),
            models.CheckConstraint(
                condition=Q(detected_mode__isnull=True) | Q(detected_mode__in=_DETECTED_MODES),
                name="store_domain_detected_mode_known",
            ),
        )

    def __str__(self) -> str:
        return self.name

    @property
    def chosen_mode(self) -> Mode:
        """The mode chosen for the domain (may be AUTO)."""
        return Mode(self.mode)

    @property
    def effective_mode(self) -> Mode:
        """The mode the mail server uses: the chosen one; under auto the last detected
        one; local when never detected (as cPanel assumes)."""
        chosen = Mode(self.mode)
        if chosen is not Mode.AUTO:
            return chosen
        if self.detected_mode:
            return Mode(self.detected_mode)
        return Mode.LOCAL


class Interface(models.TextChoices):
    """The door a change came in by."""

    CLI = "cli", "Command line"
    WEB = "web", "Web interface"
    API = "api", "REST API"
    UAPI = "uapi", "cPanel UAPI"
    API2 = "api2", "cPanel API 2"
    SYSTEM = "system", "System"


class Action(models.TextChoices):
    """What a change did."""

    ADD_MX = "add_mx", "Add MX record"
    CHANGE_MX = "change_mx", "Change MX record"
    DELETE_MX = "delete_mx", "Delete MX record"
    SET_MODE = "set_mode", "Set routing mode"
    DETECT = "detect", "Detect routing mode"
    ADD_DOMAIN = "add_domain", "Add domain"
    REMOVE_DOMAIN = "remove_domain", "Remove domain"
    SET_OWNER = "set_owner", "Set owner"
    UNDO = "undo", "Undo"
    EXTERNAL_CHANGE = "external_change", "Change made outside mxroute"


class Change(models.Model):
    """One entry of the history: a change to a domain's MX records or routing.

    Rows outlive their domain (``domain`` becomes NULL, ``domain_name`` stays), and
    are never edited. In ``mx_before``/``mx_after`` a list of
    ``{"priority": int, "exchanger": str}`` is the whole MX set (``[]``: no records);
    NULL means the change did not touch or read the MX set.
    """

    Interface = Interface
    Action = Action

    # SET_NULL, not CASCADE: an audit trail must survive the domain it describes.
    domain = models.ForeignKey(
        Domain, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    domain_name = models.CharField(max_length=253)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(
        max_length=200, help_text='A user name, or "cli:<unix user>" for the command line.'
    )
    interface = models.CharField(max_length=10, choices=Interface.choices)
    token_name = models.CharField(
        max_length=100, blank=True, default="", help_text="The API token used, if any."
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    summary = models.TextField(help_text="One sentence saying what changed.")
    mx_before = models.JSONField(null=True, blank=True, default=None)
    mx_after = models.JSONField(null=True, blank=True, default=None)
    mode_before = models.CharField(max_length=10, choices=MODE_CHOICES, null=True, blank=True)
    mode_after = models.CharField(max_length=10, choices=MODE_CHOICES, null=True, blank=True)
    effective_before = models.CharField(
        max_length=10, choices=DETECTED_MODE_CHOICES, null=True, blank=True
    )
    effective_after = models.CharField(
        max_length=10, choices=DETECTED_MODE_CHOICES, null=True, blank=True
    )
    serial_before = models.PositiveBigIntegerField(null=True, blank=True)
    serial_after = models.PositiveBigIntegerField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    undoes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="undone_by",
        help_text="For an undo: the change it reverted.",
    )

    class Meta:
        ordering = ("-at", "-id")
        get_latest_by = ("at", "id")
        indexes = (models.Index(fields=["domain_name", "at"], name="store_change_domain_at"),)
        constraints = (
            models.CheckConstraint(
                condition=Q(serial_before__isnull=True) | Q(serial_before__lte=MAX_SERIAL),
                name="store_change_serial_before_32bit",
            ),
            models.CheckConstraint(
                condition=Q(serial_after__isnull=True) | Q(serial_after__lte=MAX_SERIAL),
                name="store_change_serial_after_32bit",
            ),
            models.CheckConstraint(
                condition=Q(action__in=Action.values), name="store_change_action_known"
            ),
            models.CheckConstraint(
                condition=Q(interface__in=Interface.values), name="store_change_interface_known"
            ),
        )

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.domain_name}: {self.get_action_display()}"


class ApiToken(models.Model):
    """An API token of a user: only its SHA-256 digest is stored, never the token.

    Tokens are long random strings, so a fast digest is enough (a slow password hash
    protects guessable secrets); it also makes finding a token one indexed query.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, hex.")
    domains = models.JSONField(
        default=list, blank=True, help_text="Domain names the token is limited to; [] for all."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("user__username", "name")
        constraints = (
            models.UniqueConstraint(fields=["user", "name"], name="store_apitoken_user_name"),
        )

    def __str__(self) -> str:
        return f"{self.user.get_username()}/{self.name}"


class AuthFailure(models.Model):
    """One failed log-in or API authentication, kept a short while for throttling.

    In the database rather than a per-process cache, so every server process and the
    web panel and API count the same failures.
    """

    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} from {self.address}"


class Intent(models.Model):
    """A change about to be applied: written before the zone or lists are touched.

    A change marks its intent applied (in the transaction that writes its history row)
    or abandoned (after undoing its steps). An intent still pending when no process is
    applying it belonged to a writer that died: the next start settles it from what
    the zone holds (see :mod:`mxroute.service.intents`).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        ABANDONED = "abandoned", "Abandoned"

    domain_name = models.CharField(
        max_length=253, help_text="The domain changed; empty for a batch of several."
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    plan = models.JSONField(help_text="The plan being applied, as data.")
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = (models.Index(fields=["state"], name="store_intent_state"),)

    def __str__(self) -> str:
        return f"{self.action} {self.domain_name or '(batch)'}: {self.state}"


class StepStatus(models.Model):
    """How the last run of a reload step went (``zone_reload``, ``lists_reload``): what
    ``/healthz`` tells a monitor. One row per step, updated by each change."""

    step = models.CharField(max_length=40, primary_key=True)
    ok = models.BooleanField()
    message = models.TextField(blank=True, help_text="Why it failed; empty when it passed.")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.step}: {'ok' if self.ok else 'failed'} at {self.at:%Y-%m-%d %H:%M}"
