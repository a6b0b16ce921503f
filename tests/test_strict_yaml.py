"""The strict settings reader: YAML 1.2 values, one line for every file PyYAML and DVC would read apart."""

from __future__ import annotations

import io
import math
import time

import pytest
import yaml

from arc.errors import ConfigError
from arc.utils.strict_yaml import MAX_EXPANDED_NODES, load_yaml

AMBIGUOUS = ["010", "-010", "0o10", "1:00", "190:20:30", "yes", "No", "ON", "off", "0b101", "1_000",
             "1e3", "1.0e3", "2001-12-14", "="]
UNAMBIGUOUS = {"10": 10, "0": 0, "-3": -3, "0x1F": 31, "1.5": 1.5, "1.0e+3": 1000.0, ".5": 0.5, "true": True,
               "False": False, "null": None, "~": None, ".inf": math.inf, "-.Inf": -math.inf, "abc": "abc",
               "syn_only": "syn_only", "1.": 1.0}


def _write(tmp_path, text: str | bytes, name: str = "params.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _ruamel_safe(text: str):
    from ruamel.yaml import YAML  # DVC's reader

    return YAML(typ="safe", pure=True).load(io.StringIO(text))


@pytest.mark.parametrize("scalar", AMBIGUOUS)
def test_scalars_read_apart_by_yaml_1_1_and_1_2_are_refused_with_file_line_and_key(tmp_path, scalar):
    path = _write(tmp_path, f"training:\n  depth:\n    epochs: {scalar}\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line 3, key training.depth.epochs: {scalar!r} reads as")
    assert "\n" not in message


@pytest.mark.parametrize("scalar", ["010", "0o10", "1:00", "190:20:30", "yes", "off", "1e3", "1.0e3"])
def test_the_refused_scalars_really_differ_between_pyyaml_and_dvcs_reader(scalar):
    """The point of refusing them: PyYAML (Snakemake, arc) and ruamel (DVC) give different values.
    (0b101, 1_000 and dates are refused too: both engines read them as numbers or dates, the YAML 1.2
    core schema as text.)"""
    old = yaml.safe_load(f"x: {scalar}\n")["x"]
    new = _ruamel_safe(f"x: {scalar}\n")["x"]
    assert (type(old), old) != (type(new), new)


@pytest.mark.parametrize("scalar,value", sorted(UNAMBIGUOUS.items()))
def test_unambiguous_scalars_read_as_both_engines_read_them(tmp_path, scalar, value):
    got = load_yaml(_write(tmp_path, f"x: {scalar}\n"))["x"]
    assert type(got) is type(value) and got == value
    assert yaml.safe_load(f"x: {scalar}\n")["x"] == value


def test_nan_and_quoted_values(tmp_path):
    got = load_yaml(_write(tmp_path, "a: .nan\nb: '010'\nc: \"yes\"\nd: |\n  1:00\n"))
    assert math.isnan(got["a"]) and got["b"] == "010" and got["c"] == "yes" and got["d"] == "1:00\n"


def test_seed_list_item_is_named(tmp_path):
    path = _write(tmp_path, "seeds: [0, 010]\n")
    with pytest.raises(ConfigError, match=r"line 1, key seeds\[1\]: '010' reads as 10 in YAML 1.2"):
        load_yaml(path)


def test_duplicate_keys_are_refused(tmp_path):
    path = _write(tmp_path, "seed: 0\ntraining:\n  lr: 1\n  lr: 2\n")
    with pytest.raises(ConfigError, match=r"line 4, key training.lr: duplicate key \(first at line 3\)"):
        load_yaml(path)


def test_billion_laughs_fails_fast(tmp_path):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = _write(tmp_path, "\n".join(lines) + "\n")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=f"more than {MAX_EXPANDED_NODES} nodes"):
        load_yaml(path)
    assert time.perf_counter() - start < 1.0


def test_small_aliases_are_expanded(tmp_path):
    got = load_yaml(_write(tmp_path, "base: &b {lr: 0.1}\nother: *b\n"))
    assert got == {"base": {"lr": 0.1}, "other": {"lr": 0.1}} and got["base"] is not got["other"]


def test_recursive_alias_is_refused(tmp_path):
    path = _write(tmp_path, "a: &x [1, *x]\n")
    with pytest.raises(ConfigError, match=r"line 1, key a\[1\]: a recursive alias"):
        load_yaml(path)


def test_non_utf8_bytes_are_named(tmp_path):
    path = _write(tmp_path, b"seed: 0\nbenchmark: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"line 2: byte 0xe9 at offset 22 is not UTF-8"):
        load_yaml(path)


def test_directory_and_missing_file_are_named(tmp_path):
    (tmp_path / "params.local.yaml").mkdir()
    with pytest.raises(ConfigError, match="params.local.yaml: is a directory; expected a YAML file"):
        load_yaml(tmp_path / "params.local.yaml")
    with pytest.raises(ConfigError, match="missing.yaml: not found"):
        load_yaml(tmp_path / "missing.yaml")


def test_syntax_error_tags_and_merge_keys_are_one_line(tmp_path):
    for text, expected in [("a: [1, 2\n", "not valid YAML"), ("a: !!python/name:os.system x\n", "explicit tag"),
                           ("a: !!str 5\n", "explicit tag"), ("b: &b {x: 1}\nc:\n  <<: *b\n", "merge key")]:
        with pytest.raises(ConfigError, match=expected) as info:
            load_yaml(_write(tmp_path, text))
        assert "\n" not in str(info.value)


def test_project_settings_files_read_as_pyyaml_reads_them():
    from pipeline_copy import ROOT

    for path in [ROOT / "params.yaml", *sorted((ROOT / "configs").glob("*.yaml"))]:
        assert load_yaml(path) == yaml.safe_load(path.read_text()), path


def test_deep_nesting_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_yaml(_write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n"))


def test_parse_yaml_names_its_source():
    from arc.utils.strict_yaml import parse_yaml

    assert parse_yaml("seeds: [0, 1]\n", "x.yaml") == {"seeds": [0, 1]}
    with pytest.raises(ConfigError, match=r"^ARC_PARAMS_LOCAL, line 1, key seed: '010'"):
        parse_yaml("seed: 010\n", "ARC_PARAMS_LOCAL")
