"""The text of an action: which template, in which language, with what context.

Rendering reads template files, so it lives at the edge (CLI, API callers),
never in evaluation.  The context is built from the case, the action and its
claim; the template set checks and sandboxes everything else.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._compile import Plan
from ._model import Case
from ._schedule import Action
from ._templates import TemplateSet

_ZERO = Decimal("0.00")


def templates_of(plan: Plan) -> TemplateSet | None:
    """The templates that came with the plan's ruleset file, if it has any."""
    origin = plan.source._origin
    return None if origin is None else origin.templates


def text_language(templates: TemplateSet, plan: Plan, case: Case, action_type: str,
                  wanted: str | None = None) -> str | None:
    """The language to write in: `wanted`, else the debtor's, else the ruleset's, whichever
    has a template for this action."""
    debtor = case.debtor.language if case.debtor is not None else None
    for language in (wanted, debtor, plan.source.language):
        if language and templates.available(action_type, language):
            return language
    return None


def text_context(plan: Plan, case: Case, action: Action, language: str) -> dict[str, Any]:
    """The values a template sees (see _templates.CONTEXT_NAMES)."""
    creditor = case.creditor or plan.source.creditor
    d = case.debtor
    # The documented attributes, always; `kind` and any other attribute the case gives when it has
    # a debtor, which the check at validation cannot know (docs/notices.md: behind `is defined`).
    debtor = {"name": d.name if d else None, "address": d.address if d else None,
              "language": d.language if d else None}
    if d is not None:
        debtor = {**(d.model_extra or {}), "kind": d.kind, **debtor}
    claim = action.claim
    return {
        "case": {"id": case.id, "due_date": case.due_date, "payment_reference": case.payment_reference,
                 "status_url": case.status_url},
        "debtor": debtor,
        "creditor": {
            "name": creditor.name if creditor else None,
            "address": creditor.address if creditor else None,
            "organisation_number": creditor.organisation_number if creditor else None,
            "account": creditor.account if creditor else None,
        },
        "action": {"step": action.step, "type": action.action, "title": action.title, "date": action.date,
                   "deadline": action.deadline, "channels": list(action.channels),
                   "recipient": action.recipient, "legal_basis": action.legal_basis},
        "claim": None if claim is None else {"principal": claim.principal, "fees": claim.fees,
                                             "interest": claim.interest, "total": claim.total,
                                             # what stops the process (stop_when: paid): the rent
                                             "unpaid_amount": max(case.amount - claim.paid, _ZERO)},
        "fee": action.fee,
        "currency": plan.currency,
        "ruleset": {"id": plan.ruleset.id, "version": plan.ruleset.version, "title": plan.title},
        "language": language,
    }


def action_text(plan: Plan, case: Case, action: Action, language: str | None = None) -> dict[str, str] | None:
    """`{language, subject, body}` for a planned action that has a template, else None (a
    skipped or waiting action sends nothing; a case without a debtor has nobody to write to).
    A template that fails raises RulesetError with the located finding."""
    templates = templates_of(plan)
    if templates is None or action.status != "planned" or action.date is None or case.debtor is None:
        return None
    chosen = text_language(templates, plan, case, action.action, language)
    if chosen is None:
        return None
    subject, body = templates.render(action.action, chosen, text_context(plan, case, action, chosen))
    return {"language": chosen, "subject": subject, "body": body}
