"""Reading one setting: its value in the settings, else its default from the schema.

Every default lives in arc/params.schema.json (``"default"`` beside the key's type), so code asks
``setting(params, "training.attention.test_mask")`` instead of writing a default of its own; a key
with neither a value nor a default is one clear error naming it. No torch import.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from arc.errors import ConfigError

SCHEMA_PATH = Path(__file__).with_name("params.schema.json")
_MISSING = object()


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def _resolve(node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node and "properties" not in node:
        node = schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _children(node: dict, name: str) -> list[dict]:
    """The schema nodes of property ``name`` under ``node`` (every if/then/else branch)."""
    node = _resolve(node)
    found = []
    for branch in (node, node.get("then") or {}, node.get("else") or {}):
        branch = _resolve(branch)
        if name in (branch.get("properties") or {}):
            found.append(branch["properties"][name])
    return found


@lru_cache(maxsize=None)
def schema_default(key: str) -> Any:
    """The schema's default of a dotted key, or ``_MISSING``."""
    nodes = [schema()]
    for part in key.split("."):
        nodes = [child for node in nodes for child in _children(node, part)]
    for node in nodes:
        node = _resolve(node) if "default" not in node else node
        if "default" in node:
            return node["default"]
    return _MISSING


def setting(params: Mapping, key: str) -> Any:
    """The value of a dotted key (``"training.attention.kl"``), else its schema default."""
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            default = schema_default(key)
            if default is _MISSING:
                raise ConfigError(f"params: missing key {key!r} (it has no default in {SCHEMA_PATH.name})")
            return default
        node = node[part]
    return node


def section(params: Mapping, *keys: str) -> dict:
    node = params
    for i, key in enumerate(keys):
        if not isinstance(node, Mapping) or key not in node:
            raise ConfigError(f"params: missing key {'.'.join(keys[: i + 1])!r}")
        node = node[key]
    return node


