"""``mb.UNKNOWN``: a value nobody knows, said so instead of invented.

Any builder field that has a home in NWB takes ``mb.UNKNOWN``: a wavelength, a pixel size (a lone
``mb.UNKNOWN`` stands for the whole pair or triple), an indicator, a manufacturer. It is written
as NWB's visible placeholder (NaN for numbers, ``"unknown"`` for text), listed in
``session.placeholders``, warned with ``PlaceholderWarning`` and reported by ``validate()`` as a
warning, never an error. In session files it is the text ``UNKNOWN``.
"""

from __future__ import annotations

import math
from typing import Any

#: how session files spell it
UNKNOWN_TEXT = "UNKNOWN"


class Unknown:
    """The one value standing for "not known" (``mb.UNKNOWN``); compared by identity."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "mb.UNKNOWN"

    def __reduce__(self) -> tuple:
        return (Unknown, ())  # one value in every process it reaches

    def __copy__(self) -> Unknown:
        return self

    def __deepcopy__(self, memo: dict) -> Unknown:
        return self


UNKNOWN = Unknown()


def is_unknown(value: Any) -> bool:
    """Whether ``value`` is ``mb.UNKNOWN``."""
    return value is UNKNOWN


def is_unknown_or_nan(value: Any) -> bool:
    """``mb.UNKNOWN``, or the NaN it is written as."""
    return value is UNKNOWN or (isinstance(value, float) and math.isnan(value))


def known_numbers(value: Any) -> tuple[float, ...]:
    """The numbers of a value that are known (a lone number, or the known items of a tuple)."""
    items = value if isinstance(value, tuple) else (value,)
    return tuple(v for v in items if v is not None and v is not UNKNOWN)
