"""Read a settings file the one way every engine reads it: YAML 1.2 core schema, strictly.

PyYAML (Snakemake, `arc`) reads YAML 1.1; DVC reads YAML 1.2 (ruamel). The two disagree on plain
scalars such as ``010`` (8 vs 10), ``1:00`` (60 vs "1:00"), ``yes``/``off`` (booleans vs strings),
``0o10``, ``1e3``, ``1_000`` or ``2001-12-14``: a settings file would mean one thing to one engine
and another to the other. :func:`load_yaml` reads YAML 1.2 core-schema values and refuses every plain
scalar whose YAML 1.1 reading differs, and it refuses duplicate keys (PyYAML keeps the last value,
DVC refuses the file), explicit tags, alias expansions beyond a bound (a "billion laughs" file),
recursive aliases and bytes that are not UTF-8. Every refusal is one line naming the file, the line
and the key (arc.errors.ConfigError).

The document is composed by PyYAML (anchors and aliases stay shared nodes, so composing is cheap
whatever the aliases would expand to); the expanded size is then counted on the node graph before
any value is built.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from arc.errors import ConfigError

# A settings file has hundreds of values; this bound stops an alias bomb before it is expanded.
MAX_EXPANDED_NODES = 100_000

_TAG = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT_DEC = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_RESOLVER = yaml.resolver.Resolver()  # PyYAML's YAML 1.1 implicit tags


def core_scalar(text: str) -> Any:
    """The YAML 1.2 core-schema value of a plain (unquoted) scalar."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT_DEC.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def _yaml11_scalar(text: str) -> Any:
    """What PyYAML's safe_load (YAML 1.1) makes of the same plain scalar."""
    node = ScalarNode(_RESOLVER.resolve(ScalarNode, text, (True, False)), text)
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except yaml.YAMLError:
        return _Unreadable()


class _Unreadable:
    """PyYAML cannot build the scalar at all (e.g. the YAML 1.1 value tag ``=``)."""

    def __repr__(self) -> str:
        return "an error"


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


class _Reader:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, node: Node | None, where: str, problem: str) -> ConfigError:
        line = f", line {node.start_mark.line + 1}" if node is not None else ""
        key = f", key {where}" if where else ""
        return ConfigError(f"{self.path}{line}{key}: {problem}")

    def check_size(self, root: Node) -> None:
        """Count the nodes the document expands to (aliases included) and find recursive aliases."""
        sizes: dict[int, int] = {}
        open_nodes: set[int] = set()

        def size(node: Node, where: str) -> int:
            if id(node) in sizes:
                return sizes[id(node)]
            if id(node) in open_nodes:
                raise self.fail(node, where, "a recursive alias (an anchor used inside itself); "
                                             "expected a finite value tree")
            open_nodes.add(id(node))
            total = 1
            if isinstance(node, SequenceNode):
                for i, child in enumerate(node.value):
                    total += size(child, f"{where}[{i}]")
            elif isinstance(node, MappingNode):
                for key, value in node.value:
                    total += size(key, where) + size(value, _join(where, key))
            open_nodes.discard(id(node))
            sizes[id(node)] = total
            if total > MAX_EXPANDED_NODES:
                raise self.fail(node, where, f"aliases expand this value to more than {MAX_EXPANDED_NODES} "
                                             "nodes (an alias bomb?); expected a settings file of plain values")
            return total

        size(root, "")

    def build(self, node: Node, where: str) -> Any:
        if isinstance(node, ScalarNode):
            return self.scalar(node, where)
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                raise self.fail(node, where, f"explicit tag {node.tag!r}; expected a plain list")
            return [self.build(child, f"{where}[{i}]") for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _TAG + "map":
                raise self.fail(node, where, f"explicit tag {node.tag!r}; expected a plain mapping")
            result: dict = {}
            first_line: dict = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise self.fail(key_node, where, "a list or mapping used as a key; expected a plain key")
                if key_node.tag == _TAG + "merge" and key_node.style is None:
                    raise self.fail(key_node, where, "a merge key '<<' (YAML 1.1 only, DVC's YAML 1.2 reader "
                                                     "treats it otherwise); write the keys out")
                key = self.scalar(key_node, where)
                if key in result or (isinstance(key, float) and math.isnan(key)):
                    raise self.fail(key_node, _join(where, key_node),
                                    f"duplicate key (first at line {first_line.get(key, '?')}); expected each key "
                                    "once (PyYAML keeps the last value, DVC refuses the file)")
                first_line[key] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, _join(where, key_node))
            return result
        raise self.fail(node, where, f"unexpected YAML node {type(node).__name__}")

    def scalar(self, node: ScalarNode, where: str) -> Any:
        text = node.value
        if node.style is not None:  # quoted or block scalar: a string in every YAML version
            if node.tag != _TAG + "str":
                raise self.fail(node, where, f"explicit tag {node.tag!r} on {text!r}; expected no tag")
            return text
        # PyYAML resolved the plain scalar's tag itself unless the file named one.
        if node.tag != _RESOLVER.resolve(ScalarNode, text, (True, False)):
            raise self.fail(node, where, f"explicit tag {node.tag!r} on {text!r}; expected no tag")
        value = core_scalar(text)
        old = _yaml11_scalar(text)
        if not _same(value, old):
            raise self.fail(node, where, f"{text!r} reads as {value!r} in YAML 1.2 but as {old!r} in YAML 1.1 "
                                         f"(PyYAML: Snakemake, arc), and DVC's reader takes one or the other; write "
                                         f"the value unambiguously (e.g. {_hint(value)}) or quote it if it is text")
        return value


def _hint(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return repr(value)
    return f"{str(value)!r} in quotes"


def _join(where: str, key: Any) -> str:
    name = key.value if isinstance(key, ScalarNode) else key
    return f"{where}.{name}" if where else str(name)


def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}, line {line}: byte 0x{data[exc.start]:02x} at offset {exc.start} is not "
                          "UTF-8; expected a UTF-8 text file") from None
    return text[1:] if text.startswith("\ufeff") else text


def load_yaml(path: str | os.PathLike) -> Any:
    """The YAML 1.2 core-schema value of the file at ``path``; ConfigError (one line) for anything ambiguous."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; expected a YAML file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; expected a YAML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}); expected a readable YAML file") from None
    return parse_yaml(_decode(path, data), path)


def parse_yaml(text: str, source: str | os.PathLike = "<text>") -> Any:
    """:func:`load_yaml` for text already read; ``source`` names it in the error lines."""
    try:
        return _read(Path(source), text)
    except RecursionError:
        raise ConfigError(f"{source}: values nested too deeply to read; expected a settings file of plain values") from None


def _read(path: Path, text: str) -> Any:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ConfigError(f"{path}{line}: not valid YAML ({problem})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if root is None:
        return None
    reader = _Reader(path)
    reader.check_size(root)
    return reader.build(root, "")
