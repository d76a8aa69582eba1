"""What evaluation produces: a Schedule of Actions, and its JSON form.

These are plain frozen dataclasses rather than pydantic models: a batch run
creates millions of them, and they only ever hold values the engine made.
A reason is kept as a formatter and its arguments and only formatted when
read, so a caller that never looks at it does not pay for it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Literal, NamedTuple

Status = Literal["planned", "skipped", "waiting"]
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@functools.lru_cache(maxsize=8192)
def human_date(ordinal: int) -> str:
    """`Thu 2 Apr 2026`: the form reasons use (cached; batch runs repeat dates)."""
    d = dt.date.fromordinal(ordinal)
    return f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


@functools.lru_cache(maxsize=8192)
def iso_date(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


@dataclass(frozen=True, slots=True)
class RulesetRef:
    """Which ruleset produced a schedule: id, version and the sha256 of its content."""

    id: str
    version: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256}


class Action(NamedTuple):
    """One scheduled (or skipped, or waiting) action.

    A NamedTuple rather than a dataclass: it is immutable, and cheap to make
    in the millions.  Dates are kept as ordinals; `date` and `deadline` give
    `datetime.date`s.
    """

    step: str
    action: str
    status: Status
    date_ordinal: int | None
    deadline_ordinal: int | None
    channels: tuple[str, ...]
    recipient: str
    legal_basis: str | None
    title: str | None
    occurrence: int | None
    why: tuple[Any, ...]
    """A formatter and its arguments; `reason` calls it (formatting is deferred)."""
    fee: Decimal | None = None
    """The fee this action adds, or None (no fee, or not allowed: the reason says why)."""
    claim: Any = None
    """What the debtor owes on the action's date (a Claim: principal, fees, interest, total)."""
    claim_error: str | None = None
    """Why the claim could not be computed (a rate missing for a date), when it is None."""

    @property
    def date(self) -> dt.date | None:
        o = self.date_ordinal
        return None if o is None else dt.date.fromordinal(o)

    @property
    def deadline(self) -> dt.date | None:
        o = self.deadline_ordinal
        return None if o is None else dt.date.fromordinal(o)

    @property
    def reason(self) -> str:
        return self.why[0](*self.why[1:])

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON object for an action (DESIGN.md, Schedule)."""
        d, dl = self.date_ordinal, self.deadline_ordinal
        return {
            "step": self.step,
            "action": self.action,
            "date": None if d is None else iso_date(d),
            "status": self.status,
            "channels": list(self.channels),
            "recipient": self.recipient,
            "deadline": None if dl is None else iso_date(dl),
            "legal_basis": self.legal_basis,
            "reason": self.why[0](*self.why[1:]),
            "title": self.title,
            "occurrence": self.occurrence,
            "fee": None if self.fee is None else str(self.fee),
            "claim": None if self.claim is None else {
                "principal": str(self.claim.principal), "fees": str(self.claim.fees),
                "interest": str(self.claim.interest), "total": str(self.claim.total)},
            "claim_error": self.claim_error,
        }


_NO_CONTEXT = object()


class Schedule:
    """Every action of one case, in date order (waiting actions, which have no date, last).

    `actions` are built on first access from the compact form the plan's memo
    keeps (plain tuples, which cost the garbage collector nothing); a batch run
    that only writes JSON never builds them.
    """

    __slots__ = ("case", "ruleset", "as_of", "_raw", "_build", "_context", "_actions")

    def __init__(self, case: str, ruleset: RulesetRef, as_of: dt.date | None, raw: tuple[Any, ...],
                 build: Callable[..., tuple[Action, ...]], context: Any = _NO_CONTEXT) -> None:
        self.case = case
        self.ruleset = ruleset
        self.as_of = as_of
        self._raw = raw
        self._build = build  # build(raw), or build(context, raw) when a context is given
        self._context = context
        self._actions: tuple[Action, ...] | None = None

    @property
    def actions(self) -> tuple[Action, ...]:
        if self._actions is None:
            context = self._context
            self._actions = self._build(self._raw) if context is _NO_CONTEXT else self._build(context, self._raw)
        return self._actions

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return (self.case, self.ruleset, self.as_of, self.actions) == (
            other.case, other.ruleset, other.as_of, other.actions)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Schedule(case={self.case!r}, ruleset={self.ruleset.id!r}, actions={len(self.actions)})"

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON object for a schedule (DESIGN.md, Schedule)."""
        return {
            "case": self.case,
            "ruleset": self.ruleset.to_dict(),
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "actions": [a.to_dict() for a in self.actions],
        }

    def planned(self) -> list[Action]:
        return [a for a in self.actions if a.status == "planned"]
