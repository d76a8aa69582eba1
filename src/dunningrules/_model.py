"""The typed form of a ruleset (DSL version 1) and of a case.

These pydantic models are the runtime form of the published contract
``schemas/ruleset.schema.json``; that file is generated from them by
``scripts/generate_schema.py`` and a test keeps the two identical.  Models are
frozen and refuse unknown keys.  Expressions (``at``, ``when``, ``until``,
``after``, ``every``) are kept as text here; the compiler parses them.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

import re

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    PlainSerializer,
    PrivateAttr,
    Strict,
    StrictBool,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.fields import FieldInfo

ACTION_TYPES: tuple[str, ...] = (
    "invoice",
    "reminder",
    "debt_collection_notice",
    "payment_demand",
    "transfer_to_collection",
    "eviction_warning",
    "eviction_petition",
    "lease_termination",
    "payment_order_application",
    "social_services_notice",
    "debtor_information",
    "ruling",
    "eviction_enforcement",
    "distraint",
    "long_term_monitoring",
    "limitation_interruption",
    "creditor_status_link",
    "settlement",
)
CHANNELS: tuple[str, ...] = (
    "letter", "registered_letter", "email", "sms", "e-filing", "phone", "portal",
)
RECIPIENTS: tuple[str, ...] = (
    "debtor", "guarantor", "creditor", "collection_agency", "enforcement_officer",
    "enforcement_authority", "social_services", "court",
)
ROLLS = Literal["following", "preceding", "modified_following", "none"]
CUSTOM = r"^x-[a-z][a-z0-9_-]*$"
# The patterns of currency and language codes and of event types (the JSON Lines path reads a case's
# with them too, see _batch.read_line).
CURRENCY_PATTERN = r"^[A-Z]{3}$"
LANGUAGE_PATTERN = r"^[a-z]{2}$"
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*$"
Custom = Annotated[str, StringConstraints(pattern=CUSTOM)]

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(-[a-z0-9][a-z0-9_]*)*$", max_length=64)
]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Expression = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Calendar(_Model):
    """Which days are business days for this ruleset."""

    country: Literal["NO", "SE", "DK", "FI"]
    """Country whose public holidays apply (ISO 3166 alpha-2, always quoted in YAML: "NO")."""
    categories: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(
        default_factory=lambda: ["public"], min_length=1
    )
    """Holiday categories of the `holidays` package; Sweden's midsommarafton, julafton and
    nyårsafton are category `de_facto`."""
    closed: list[Annotated[str, StringConstraints(pattern=r"^(\d{4}-)?\d{2}-\d{2}$")]] = []
    """Extra closing days: `MM-DD` every year, or `YYYY-MM-DD` once."""
    weekend: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ["sat", "sun"]
    """Weekdays that are never business days."""


class FactDecl(_Model):
    """A case fact the ruleset reads, with its type and default."""

    type: Literal["boolean", "number", "string"]
    default: bool | Decimal | int | str | None = None
    """Value used when a case does not give the fact; without one the fact is required."""
    description: ShortText | None = None


class Deadline(_Model):
    """How long the recipient has, counted from the action's date."""

    after: Expression
    """An offset: `14 days`, `8 days`, `10 business days`, `2 weeks`, `1 month`."""
    roll: ROLLS = "following"
    """What to do when the last day is not a business day; `none` keeps it (inkassoloven § 9)."""


FEE_KINDS: tuple[str, ...] = (
    "reminder", "collection_notice", "payment_demand", "collection", "payment_plan", "enforcement_application",
)


_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _plain_amount(value: Any) -> Any:
    """An amount given as text is plain digits with at most one point ("9500.00"): Decimal alone
    would also read "1_0", " 12", "+12", "1e3" and other scripts' digits."""
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        raise ValueError(f"an amount is written as plain digits with a point, like 9500.00, not {json.dumps(value)}")
    return value


# A fee's amount: written "37.50", "37.5" or 37.5, kept (and written in schedules) with two decimals.
FeeAmount = Annotated[
    Decimal, BeforeValidator(_plain_amount), Field(gt=0, max_digits=12, decimal_places=2),
    AfterValidator(lambda d: d.quantize(Decimal("0.01"))),
    WithJsonSchema({"anyOf": [{"type": "number", "exclusiveMinimum": 0},
                              {"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,2})?$"}]}),
]


class Fee(_Model):
    """A fee the step adds to the claim: a fixed amount, or a fraction of a rate-table value in
    force on the sending date.  The jurisdiction's rules (which kinds exist, caps, how long after
    the due date, how many) are enforced, not trusted: see docs/dsl.md."""

    kind: Literal[FEE_KINDS]  # type: ignore[valid-type]
    """What the fee is, which decides the rules that apply: NO reminder, collection_notice,
    payment_demand; SE reminder (påminnelseavgift), collection (inkassoavgift), payment_plan,
    enforcement_application (Kronofogden)."""
    amount: FeeAmount | None = None
    """A fixed amount in the ruleset's currency."""
    rate: Identifier | None = None
    """A table of the ruleset's rate file (`inkassosats`): the fee is `fraction` of its value."""
    fraction: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]*/[1-9][0-9]*$")] | None = None
    """`1/20` of the rate: inkassoforskriften §§ 1-2, 1-3."""
    legal_basis: ShortText | None = None


class Interest(_Model):
    """Statutory late-payment interest on the outstanding principal, from the due date."""

    table: Identifier
    """A percent-per-year table of the ruleset's rate file (`late_interest`)."""
    day_count: Literal[365, 360] = 365
    """Days in the year the rate is divided by (actual/365 unless the law says otherwise)."""


class Creditor(_Model):
    """Who the claim is owed to, as notices name them."""

    name: ShortText
    address: ShortText | None = None
    organisation_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    account: Annotated[str, StringConstraints(max_length=64)] | None = None
    """Bank account, bankgiro or plusgiro to pay to."""


class Repeat(_Model):
    """Make a step recur: an action every `every` until the `until` date."""

    every: Expression
    """Interval: `6 months`, `4 weeks`, `90 days`."""
    until: Expression
    """Date expression; no occurrence after it: `due + 3 years`."""
    max: int = Field(default=120, ge=1, le=600)
    """Upper bound on occurrences."""


class Step(_Model):
    """One action the process may take."""

    id: Identifier
    """Unique step id; other steps refer to it (`collection-notice.deadline + 1 day`)."""
    action: Literal[ACTION_TYPES] | Custom  # type: ignore[valid-type]
    """Action type from the vocabulary, or a custom `x-...` type."""
    at: Expression
    """When: `due + 5 days`, `reminder-1 + 2 business days`, `event.service_completed + 21 days`."""
    title: ShortText | None = None
    roll: ROLLS | None = None
    """Roll convention for the date; default from `defaults.roll`."""
    when: Expression | None = None
    """Condition on case facts; the step is skipped when false: `outstanding > 0 and not facts.x`."""
    channels: list[Literal[CHANNELS] | Custom] = []  # type: ignore[valid-type]
    recipient: Literal[RECIPIENTS] | Custom | None = None  # type: ignore[valid-type]
    """Who receives it; default from `defaults.recipient`."""
    deadline: Deadline | None = None
    legal_basis: ShortText | None = None
    repeat: Repeat | None = None
    on_pause: Literal["shift", "skip"] | None = None
    """Override of `pause.policy` for this step."""
    fee: Fee | None = None
    notes: LongText | None = None


class Pause(_Model):
    """Periods in which no step lands."""

    during: list[Literal["dispute"]] = ["dispute"]
    """`dispute`: from a `dispute_opened` event to the next `dispute_resolved`."""
    policy: Literal["shift", "skip"] = "shift"
    """`shift`: a step inside a pause moves to the first business day after it; `skip`: it is skipped."""


class Defaults(_Model):
    """Values a step gets when it does not say otherwise."""

    roll: ROLLS = "following"
    recipient: Literal[RECIPIENTS] | Custom = "debtor"  # type: ignore[valid-type]


class Ruleset(_Model):
    """A collection process: DSL version 1."""

    dunningrules: Literal[1]
    """DSL version."""
    id: Identifier
    version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    """Version of this ruleset (a string: quote it, `"2026.1"`)."""
    title: ShortText
    description: LongText | None = None
    jurisdiction: Literal["NO", "SE", "DK", "FI"]
    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
    language: Literal["nb", "nn", "sv", "da", "fi", "en"]
    calendar: Calendar
    parameters: dict[Identifier, Decimal | int | bool | str] = {}
    """Named values, used as `params.NAME` in offsets and conditions."""
    facts: dict[Identifier, FactDecl] = {}
    """Case facts this ruleset reads (`facts.NAME` in conditions)."""
    defaults: Defaults = Defaults()
    pause: Pause = Pause()
    stop_when: list[Literal["paid"]] = ["paid"]
    """`paid`: once the claim is paid in full, every later step is skipped."""
    rates: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    """Rate file, relative to this ruleset's folder and inside it (`rates.yaml`)."""
    interest: Interest | None = None
    allocation: list[Literal["fees", "interest", "principal"]] = ["fees", "interest", "principal"]
    """The order a payment pays what is owed: costs, then interest, then principal by default."""
    creditor: Creditor | None = None
    steps: list[Step] = Field(min_length=1, max_length=200)

    _origin: Any = PrivateAttr(default=None)


# --------------------------------------------------------------------------- extensions
#
# A ruleset that `extends` another writes only what differs.  Its file is checked against
# these two models (every field optional but its own identity), then merged with its base
# by _extends.py, and the merged result is checked as a whole Ruleset.  They are built
# from Step and Ruleset so that a field added there is at once a field an extension may set.

BASE_REF_PATTERN = r"^([a-z][a-z0-9_]*(-[a-z0-9][a-z0-9_]*)*|.+\.ya?ml)$"
BaseRef = Annotated[str, StringConstraints(min_length=1, max_length=300,
                                           pattern=BASE_REF_PATTERN)]


def _optional_fields(model: type[BaseModel], keep: tuple[str, ...]) -> dict[str, Any]:
    """`model`'s fields with their types and docs, all optional except those in `keep`."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in keep:
            out[name] = (info.annotation, info)
        else:
            out[name] = (info.annotation | None, FieldInfo.merge_field_infos(info, default=None))
    return out


def _unsettable(model: type[BaseModel], keep: tuple[str, ...]) -> Any:
    return Literal[tuple(n for n, f in model.model_fields.items() if not f.is_required() and n not in keep)]


StepPatch = create_model(
    "StepPatch",
    __base__=_Model,
    __doc__="""A step of an extension: changes to the base's step with this id, or a new step
(which then needs `action` and `at`).  Fields given replace the base's, each whole.""",
    **_optional_fields(Step, keep=("id",)),
    remove=(Literal[True] | None, Field(default=None, description=(
        "`true`: leave the base's step with this id out (nothing else may be given)."))),
    before=(Identifier | None, Field(default=None, description=(
        "Place the step just before this step of the base (moves a changed step, places a new one)."))),
    after=(Identifier | None, Field(default=None, description=(
        "Place the step just after this step (a new step without before/after goes last)."))),
    also_when=(Expression | None, Field(default=None, description=(
        "A condition added to the step's `when`: the step runs only if both hold."))),
    unset=(list[_unsettable(Step, keep=("id",))] | None, Field(default=None, description=(  # type: ignore[misc]
        "Fields of the base's step to drop, so that their defaults apply: `[fee, when]`."))),
)

Extension = create_model(
    "Extension",
    __base__=_Model,
    __doc__="""A ruleset that extends another: its own identity, and only what differs from its base.
Top-level keys replace the base's, each whole, except `facts` and `parameters` (merged by
name) and `steps` (merged by step id, see StepPatch).""",
    **{**_optional_fields(Ruleset, keep=("dunningrules", "id", "version", "title")),
       "steps": (list[StepPatch] | None, Field(default=None, description=(  # type: ignore[valid-type]
           "Changes to the base's steps, merged by id, and new steps.")))},
    extends=(BaseRef, Field(description=(
        "The base: a path relative to this file inside the rulesets tree (`../se/standard.yaml`), "
        "or a ruleset id (`se-standard`)."))),
    unset=(list[_unsettable(Ruleset, keep=())] | None, Field(default=None, description=(  # type: ignore[misc]
        "Top-level keys of the base to drop, so that their defaults apply: `[interest]`."))),
)


# --------------------------------------------------------------------------- case

EventType = Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN, max_length=64)]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_dates(data: Any) -> Any:
    """A case given as Python data, with its date strings made dates.

    Case dates are strict (a JSON string YYYY-MM-DD, never a datetime or a
    timestamp): pydantic-core checks that itself for JSON text; for Python data
    this turns exactly-YYYY-MM-DD strings into dates and leaves anything else
    for the strict check to refuse.
    """
    if not isinstance(data, dict):
        return data

    def day(value: Any) -> Any:
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value
        return value

    out = dict(data)
    if "due_date" in out:
        out["due_date"] = day(out["due_date"])
    if isinstance(out.get("events"), list):
        out["events"] = [{**e, "date": day(e["date"])} if isinstance(e, dict) and "date" in e else e
                         for e in out["events"]]
    return out


# Legal dates have no time: "2026-04-01T00:00:00" is refused, not read as a date.
IsoDate = Annotated[dt.date, Strict()]


def _fact_number_json(value: Decimal) -> int | float | str:
    # A number fact must come back as a JSON number (pydantic writes Decimals as strings, which
    # would read back as string facts).  Exact when it can be; a string only if a float would lose it.
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value)


FactNumber = Annotated[Decimal, PlainSerializer(_fact_number_json, when_used="json")]

# A case's amounts: Decimal, more than zero, whole øre/öre, given as plain text or a JSON number.
Amount = Annotated[Decimal, BeforeValidator(_plain_amount), Field(gt=0, max_digits=18, decimal_places=2)]


class Debtor(_Model):
    """Who owes.  Extra attributes are kept for templates but not read by conditions."""

    model_config = ConfigDict(frozen=True, extra="allow")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    language: Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)] | None = None
    kind: Literal["person", "organisation"] = "person"
    address: Annotated[str, StringConstraints(max_length=500)] | None = None


class Event(_Model):
    """Something that happened to the case: `payment` (with `amount`), `dispute_opened`,
    `dispute_resolved`, `service_completed`, or any other named event."""

    type: EventType
    date: IsoDate
    amount: Amount | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class Case(_Model):
    """A tenancy's unpaid claim and what has happened to it."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    due_date: IsoDate
    amount: Amount
    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
    debtor: Debtor | None = None
    creditor: Creditor | None = None
    """The landlord of this tenancy, when it is not the ruleset's `creditor`."""
    payment_reference: Annotated[str, StringConstraints(max_length=64)] | None = None
    """KID / OCR reference the tenant pays with, for notices."""
    status_url: Annotated[str, StringConstraints(max_length=500)] | None = None
    """Where the landlord can follow the case, for notices."""
    facts: dict[str, StrictBool | FactNumber | StrictStr | None] = {}
    """Facts the ruleset declares; 1 is a number, never true."""
    events: list[Event] = Field(default=[], max_length=10_000)
