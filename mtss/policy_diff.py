"""Compare two policy documents value by value, for the version diff page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # "added" | "removed" | "changed"
    old: Any = None
    new: Any = None


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"tiers": [{"number": 2}]} -> {"tiers[0].number": 2}; empty containers stay as leaves."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def policy_diff(old: dict, new: dict) -> list[Change]:
    before, after = flatten(old), flatten(new)
    changes = []
    for path in sorted(before.keys() | after.keys()):
        if path not in after:
            changes.append(Change(path, "removed", old=before[path]))
        elif path not in before:
            changes.append(Change(path, "added", new=after[path]))
        elif before[path] != after[path]:
            changes.append(Change(path, "changed", old=before[path], new=after[path]))
    return changes
