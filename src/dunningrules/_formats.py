"""Money and dates the way each language writes them, from CLDR data through Babel.

Nothing here is a hand-written format: the grouping and decimal symbols, the currency symbol and its
place, and the month names all come from Babel's CLDR data for the locale in :data:`LOCALES`.  What
Babel gives (babel 2.18, CLDR 46) for ``Decimal("1234.50")``::

    nb  NOK  "1\\u00a0234,50\\u00a0kr"      sv  SEK  "1\\u00a0234,50\\u00a0kr"
    en  NOK  "NOK\\u00a01,234.50"          en  SEK  "SEK\\u00a01,234.50"

**Spaces are U+00A0 (no-break space)**, never U+0020: CLDR's Norwegian and Swedish grouping separator
*is* U+00A0, and so is the space between amount and ``kr``.  We keep them, so that an amount never
breaks across lines in a letter; a channel that needs plain ASCII spaces (an SMS gateway limited to
GSM-7) converts U+00A0 when it sends, the texts themselves stay exact.

One CLDR rule Babel does not implement is *currency spacing* (``currencySpacing`` in CLDR root: when
the currency symbol's side next to the number is not a symbol character, as in the code ``NOK``, and
the number side is a digit, insert U+00A0).  Babel alone writes ``NOK1,234.50``; ICU and every browser
write ``NOK 1,234.50``.  :func:`format_money` applies that rule by adding U+00A0 to the *pattern*
Babel formats with, so the result is still Babel's formatting of a CLDR pattern.

Dates use CLDR's ``long`` date format: ``16. april 2026`` (nb), ``16 april 2026`` (sv),
``16 April 2026`` (en_GB).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.numbers import format_currency as _babel_format_currency, get_currency_symbol

#: Ruleset/debtor language -> the Babel locale whose conventions a text in that language follows.
LOCALES: dict[str, str] = {
    "nb": "nb_NO",
    "nn": "nn_NO",
    "sv": "sv_SE",
    "da": "da_DK",
    "fi": "fi_FI",
    "en": "en_GB",
}

_NBSP = "\u00a0"


def _locale(language: str) -> str:
    try:
        return LOCALES[language]
    except (KeyError, TypeError):
        raise ValueError(
            f"no locale for language {language!r}; known: {', '.join(sorted(LOCALES))}"
        ) from None


def _is_symbol_char(ch: str) -> bool:
    # CLDR currencyMatch is [[:^S:]&[:^Z:]]: spacing applies when the symbol's edge is not a
    # symbol (Sc/Sm/Sk/So) and not a separator, e.g. a letter of "NOK".
    return unicodedata.category(ch)[0] in "SZ"


@lru_cache(maxsize=128)
def _currency_pattern(locale: str, currency: str) -> str:
    """The locale's standard currency pattern, with CLDR currency spacing added where it applies."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    symbol = get_currency_symbol(currency, locale=locale)
    out = []
    for sub in pattern.split(";"):  # positive;negative
        i = sub.find("\u00a4")
        if i < 0:
            out.append(sub)
            continue
        before, after = sub[:i], sub[i + 1 :]
        # "¤#,##0.00": the symbol's last character touches the number
        if after[:1] in ("#", "0") and not _is_symbol_char(symbol[-1]):
            after = _NBSP + after
        # "#,##0.00¤": the symbol's first character touches the number
        if before[-1:] in ("#", "0") and not _is_symbol_char(symbol[0]):
            before = before + _NBSP
        out.append(before + "\u00a4" + after)
    return ";".join(out)


def format_money(amount: Decimal | int, currency: str, language: str) -> str:
    """``amount`` in ``currency`` as a text in ``language`` writes it (see the module docstring).

    Rounded to the currency's digits (2 for NOK, SEK, DKK, EUR), half-even as Babel does.  A float is
    refused: money is never binary floating point.
    """
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"money must be a Decimal or an int, not {type(amount).__name__}")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ValueError(f"currency must be an ISO 4217 code like 'NOK', not {currency!r}")
    locale = _locale(language)
    return _babel_format_currency(
        Decimal(amount), currency, format=_currency_pattern(locale, currency), locale=locale
    )


def format_date(d: dt.date, language: str) -> str:
    """``d`` in CLDR's long date format of ``language``: ``16. april 2026``, ``16 april 2026``,
    ``16 April 2026``.  A datetime is refused: legal dates have no time."""
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(f"a date is needed, not {type(d).__name__}")
    return _babel_format_date(d, format="long", locale=_locale(language))
