"""Kubernetes resource quantities: parse exactly, print in the API server's canonical form.

A real API server never stores what the client sent for a quantity: `1000m` comes back as `1`,
`1024Mi` as `1Gi`, `0.5` as `500m`. A diff that compares text instead of values lies, so the
sandbox canonicalises every quantity it stores, the same way apimachinery's `Quantity` does:

* the *format* is chosen by the suffix the client used: binary (`Ki`..`Ei`), decimal SI
  (`n`..`E`, or none) or decimal exponent (`e3`, `E-6`);
* values are rounded *up* (away from zero) to nano precision, so a request never becomes zero;
* decimal forms use the smallest integer mantissa with an exponent that is a multiple of three
  (`1500m`, not `1.5`); binary forms use the largest power of 1024 that divides the value exactly,
  and fall back to decimal SI when the value is below 1024 or not an integer (`512Mi`, `1536`,
  `0.5Ki` -> `512`).

Values are `fractions.Fraction`, so comparisons and sums are exact.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from fractions import Fraction


class QuantityFormat(enum.Enum):
    BINARY_SI = "BinarySI"
    DECIMAL_SI = "DecimalSI"
    DECIMAL_EXPONENT = "DecimalExponent"


_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXPONENT = {exponent: suffix for suffix, exponent in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER = {power // 10: suffix for suffix, power in _BINARY_SUFFIXES.items()}

# Sign, then digits with an optional fraction (".5" and "5." are both accepted upstream), then a suffix.
_QUANTITY = re.compile(r"^(?P<sign>[+-]?)(?P<number>[0-9]+\.?[0-9]*|\.[0-9]+)(?P<suffix>.*)$")
_EXPONENT_SUFFIX = re.compile(r"^[eE](?P<exponent>[+-]?[0-9]+)$")

_NANO = Fraction(1, 10**9)
# apimachinery caps binary quantities at the largest int64.
_MAX_BINARY = Fraction(2**63 - 1)


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


@dataclass(frozen=True, slots=True)
class Quantity:
    value: Fraction
    format: QuantityFormat

    def canonical(self) -> str:
        return canonicalize_value(self.value, self.format)

    def __str__(self) -> str:
        return self.canonical()


def parse_quantity(text: str | int | float) -> Quantity:
    """Parse a quantity the way the API server does, including its rounding and capping."""
    if isinstance(text, bool):
        raise QuantityError(f"quantities are numbers or strings, not {text!r}")
    if isinstance(text, int):
        return Quantity(Fraction(text), QuantityFormat.DECIMAL_SI)
    if isinstance(text, float):
        # JSON numbers in a manifest (`cpu: 0.5`) reach the server as numbers; use their shortest repr.
        text = repr(text)
    match = _QUANTITY.match(text.strip())
    if not match:
        raise QuantityError(
            f"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}"
        )
    number = Fraction(match["number"] if not match["number"].endswith(".") else match["number"][:-1])
    suffix = match["suffix"]
    if suffix in _BINARY_SUFFIXES:
        value, fmt = number * 2 ** _BINARY_SUFFIXES[suffix], QuantityFormat.BINARY_SI
    elif suffix in _DECIMAL_SUFFIXES:
        value, fmt = number * Fraction(10) ** _DECIMAL_SUFFIXES[suffix], QuantityFormat.DECIMAL_SI
    elif exponent_match := _EXPONENT_SUFFIX.match(suffix):
        value = number * Fraction(10) ** int(exponent_match["exponent"])
        fmt = QuantityFormat.DECIMAL_EXPONENT
    else:
        raise QuantityError(f"unable to parse quantity's suffix: {text!r}")

    # "If you want some resources, you get some resources": round up to the nearest nano, never to zero.
    if value:
        value = Fraction(math.ceil(value / _NANO)) * _NANO
    if fmt is QuantityFormat.BINARY_SI and value > _MAX_BINARY:
        value = _MAX_BINARY
    if fmt is QuantityFormat.BINARY_SI and 0 < value < 1:
        fmt = QuantityFormat.DECIMAL_SI
    if match["sign"] == "-":
        value = -value
    return Quantity(value, fmt)


def canonicalize(text: str | int | float) -> str:
    """The form the API server would store for this quantity."""
    return parse_quantity(text).canonical()


def quantities_equal(a: str | int | float, b: str | int | float) -> bool:
    """True when two quantities denote the same amount, whatever their spelling."""
    return parse_quantity(a).value == parse_quantity(b).value


def canonicalize_value(value: Fraction, fmt: QuantityFormat) -> str:
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if fmt is QuantityFormat.BINARY_SI and (magnitude < 1024 or magnitude.denominator != 1):
        # Small or fractional binary values print as decimal rather than rounding.
        fmt = QuantityFormat.DECIMAL_SI
    if fmt is QuantityFormat.BINARY_SI:
        return sign + _binary_form(magnitude.numerator)
    return sign + _decimal_form(magnitude, fmt)


def _binary_form(amount: int) -> str:
    power = 0
    while amount % 1024 == 0 and power < max(_BINARY_BY_POWER):
        amount //= 1024
        power += 1
    return f"{amount}{_BINARY_BY_POWER.get(power, '')}"


def _decimal_form(magnitude: Fraction, fmt: QuantityFormat) -> str:
    # Write magnitude as mantissa * 10**exponent with an integer mantissa free of trailing zeros.
    exponent = 0
    while magnitude.denominator != 1:
        magnitude *= 10
        exponent -= 1
    mantissa = magnitude.numerator
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    # Then lower the exponent to a multiple of three, growing the mantissa to match.
    shift = exponent % 3
    mantissa *= 10**shift
    exponent -= shift
    if fmt is QuantityFormat.DECIMAL_EXPONENT:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    # Beyond exa there is no suffix; keep the value exact with the largest one.
    if exponent > max(_DECIMAL_BY_EXPONENT):
        mantissa *= 10 ** (exponent - max(_DECIMAL_BY_EXPONENT))
        exponent = max(_DECIMAL_BY_EXPONENT)
    return f"{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"
