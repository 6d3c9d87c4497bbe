"""The comparator's block options (`data-*` attributes), parsed and validated.

Every knob that loosens or tightens matching is a visible attribute on the block, so a
reader of the Markdown source can see what was not compared literally. Unknown keys and
values are errors, never ignored: a typo such as `data-volatle="-ipv4"` must not silently
leave IPv4 addresses volatile.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .volatile import ALL_CLASS_NAMES

JSON_MODES = ("auto", "off", "strict")
TABLE_MODES = ("cells", "exact")
ORDER_MODES = ("fixed", "any")
ELISION_MODES = ("on", "off")

_CHOICES: dict[str, tuple[str, ...]] = {
    "json": JSON_MODES,
    "table": TABLE_MODES,
    "order": ORDER_MODES,
    "elisions": ELISION_MODES,
}

KNOWN_OPTIONS: frozenset[str] = frozenset({"volatile", *_CHOICES})


@dataclass(frozen=True)
class CompareOptions:
    """Parsed options of one block; the defaults are what a block without attributes gets."""

    classes: frozenset[str] = ALL_CLASS_NAMES
    json: str = "auto"
    table: str = "cells"
    order: str = "fixed"
    elisions: bool = True


DEFAULT_OPTIONS = CompareOptions()


def _volatile_items(value: str) -> list[str]:
    return [item for item in re.split(r"[\s,]+", value.strip()) if item]


def _volatile_errors(value: str) -> list[str]:
    errors = []
    for item in _volatile_items(value):
        name = item.lstrip("+-")
        if name in ("all", "none") and item == name:
            continue
        if name not in ALL_CLASS_NAMES:
            hint = difflib.get_close_matches(name, sorted(ALL_CLASS_NAMES), n=1)
            known = ", ".join(sorted(ALL_CLASS_NAMES))
            errors.append(
                f"data-volatile: unknown class {name!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; known classes: {known}; also 'all' and 'none'"
            )
    return errors


def validate_options(options: Mapping[str, str] | None) -> list[str]:
    """Error messages for unknown keys or bad values; empty when all is well."""
    errors: list[str] = []
    for key, value in (options or {}).items():
        if key == "volatile":
            errors.extend(_volatile_errors(value))
        elif key in _CHOICES:
            if value not in _CHOICES[key]:
                allowed = ", ".join(repr(c) for c in _CHOICES[key])
                errors.append(f"data-{key}: {value!r} is not one of {allowed}")
        else:
            hint = difflib.get_close_matches(key, sorted(KNOWN_OPTIONS), n=1)
            known = ", ".join(f"data-{k}" for k in sorted(KNOWN_OPTIONS))
            errors.append(
                f"unknown option data-{key}"
                + (f" (did you mean data-{hint[0]}?)" if hint else "")
                + f"; comparator options are: {known}"
            )
    return errors


def _parse_volatile(value: str) -> frozenset[str]:
    enabled = set(ALL_CLASS_NAMES)
    for item in _volatile_items(value):
        if item == "all":
            enabled = set(ALL_CLASS_NAMES)
        elif item == "none":
            enabled = set()
        elif item.startswith("-"):
            enabled.discard(item[1:])
        else:
            enabled.add(item.lstrip("+"))
    return frozenset(enabled)


def parse_options(options: Mapping[str, str] | None) -> CompareOptions:
    """Turn a block's comparator attributes into CompareOptions; ValueError if invalid."""
    if not options:
        return DEFAULT_OPTIONS
    errors = validate_options(options)
    if errors:
        raise ValueError("; ".join(errors))
    return CompareOptions(
        classes=_parse_volatile(options.get("volatile", "")),
        json=options.get("json", "auto"),
        table=options.get("table", "cells"),
        order=options.get("order", "fixed"),
        elisions=options.get("elisions", "on") == "on",
    )
