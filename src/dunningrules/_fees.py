"""Fees the law allows, and when.

A ruleset says which fee a step adds; this module says whether the
jurisdiction allows it.  What can be seen without a case (an unknown kind, a
fraction above the statutory one, more fee-bearing reminders than allowed, a
fee on a step that always goes out too early) is a located validation error;
what depends on the case (the sending date, the rate in force, an agreed
reminder fee) makes the fee `skipped` with the reason, never silently charged.

Norway, inkassoforskriften §§ 1-2, 1-3: a reminder fee and the inkassovarsel
fee are each at most 1/20 of the inkassosats in force on the sending date, a
creditor's betalingsoppfordring at most 3/20, and only on a notice sent at
least 14 days after the due date; at most two fee-bearing reminders.
Sweden, lag (1981:739) 4 §: påminnelseavgift (only if agreed when the debt
arose), inkassoavgift and amorteringsplan up to the caps in force; Kronofogden's
application fee as förordning (1992:1094) sets it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ._money import round_money
from ._rates import RateBook, RateError


@dataclass(frozen=True)
class FeeRule:
    """What a jurisdiction allows for one kind of fee."""

    basis: str                          # the statute, for messages and the action's legal basis
    rate: str | None = None             # NO: the cap is max_fraction of this table's value
    max_fraction: Fraction | None = None
    cap_table: str | None = None        # SE: the cap is this table's value
    min_days_after_due: int = 0
    max_count: int | None = None        # fee-bearing occurrences of this kind in one case
    requires_fact: str | None = None    # a boolean case fact that must be true


RULES: dict[str, dict[str, FeeRule]] = {
    "NO": {
        "reminder": FeeRule("inkassoforskriften § 1-2", rate="inkassosats", max_fraction=Fraction(1, 20),
                            min_days_after_due=14, max_count=2),
        "collection_notice": FeeRule("inkassoforskriften § 1-2", rate="inkassosats",
                                     max_fraction=Fraction(1, 20), min_days_after_due=14),
        "payment_demand": FeeRule("inkassoforskriften § 1-3", rate="inkassosats", max_fraction=Fraction(3, 20),
                                  min_days_after_due=14),
    },
    "SE": {
        "reminder": FeeRule("lag (1981:739) 4 §", cap_table="reminder_fee_cap",
                            requires_fact="reminder_fee_agreed"),
        "collection": FeeRule("lag (1981:739) 4 §", cap_table="collection_fee_cap"),
        "payment_plan": FeeRule("lag (1981:739) 4 §", cap_table="payment_plan_fee_cap"),
        "enforcement_application": FeeRule("förordning (1992:1094) 1 §", cap_table="kronofogden_application_fee"),
    },
}


@dataclass(frozen=True)
class FeePlan:
    """A step's fee, checked statically and ready to price on a date."""

    kind: str
    rule: FeeRule
    amount: Decimal | None              # fixed, or
    rate: str | None                    # fraction of this table's value
    fraction: Fraction

    def price(self, on: dt.date, due: dt.date, facts: dict[str, object], book: RateBook | None,
              charged_before: int) -> tuple[Decimal | None, str | None]:
        """(amount, None) when the fee is charged on `on`; (None, why not) otherwise."""
        rule = self.rule
        days = (on - due).days
        if days < rule.min_days_after_due:
            return None, (f"fee skipped: sent {days} days after the due date; {rule.basis} allows a fee only "
                          f"at least {rule.min_days_after_due} days after it")
        if rule.requires_fact and facts.get(rule.requires_fact) is not True:
            return None, f"fee skipped: facts.{rule.requires_fact} is not true ({rule.basis})"
        if rule.max_count is not None and charged_before >= rule.max_count:
            return None, (f"fee skipped: {rule.max_count} fee-bearing {self.kind.replace('_', ' ')}s "
                          f"already charged ({rule.basis})")
        try:
            if self.amount is not None:
                amount = self.amount
            else:
                value = book.table(self.rate).value_on(on)  # type: ignore[union-attr,arg-type]
                amount = round_money(value * self.fraction.numerator / self.fraction.denominator)
            cap = self.cap(on, book)
        except RateError as e:
            return None, f"fee skipped: {e.code}: {e.message}"
        if cap is not None and amount > cap:
            return None, f"fee skipped: {amount} is above the cap of {cap} in force on {on} ({rule.basis})"
        return amount, None

    def cap(self, on: dt.date, book: RateBook | None) -> Decimal | None:
        rule = self.rule
        if book is None:
            return None
        if rule.rate is not None and rule.max_fraction is not None:
            value = book.table(rule.rate).value_on(on)
            return round_money(value * rule.max_fraction.numerator / rule.max_fraction.denominator)
        if rule.cap_table is not None:
            return book.table(rule.cap_table).value_on(on)
        return None
