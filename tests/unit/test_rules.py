"""Every refusal names a rule defined once in domain/rules.py, with its explanations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from domain.errors import StateConflict
from domain.rules import EXPLANATIONS, Rule

ROOT = Path(__file__).resolve().parents[2]
REFUSALS = {"Refusal", "DomainError", "StateConflict", "NotPermitted", "InvalidCommand"}
RULE_ARGUMENT = {"require": 1, "require_status": 2}  # guards that pass a rule code on to StateConflict


def written_rule_codes() -> list[tuple[str, str]]:
    """Every string literal the product code passes as a rule code, with where it stands."""
    found = []
    for package in ("domain", "application", "infrastructure", "api"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                index = 0 if name in REFUSALS else RULE_ARGUMENT.get(name or "")
                if index is None or len(node.args) <= index:
                    continue
                arg = node.args[index]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((arg.value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def test_rules_every_code_written_in_the_source_is_defined() -> None:
    undefined = [(code, where) for code, where in written_rule_codes() if code not in set(Rule)]
    assert undefined == []


def test_rules_the_scan_sees_the_refusals_of_the_case() -> None:
    """Guards the scan above: it finds the codes that the Case aggregate's guards pass on."""
    codes = {code for code, _ in written_rule_codes()}
    assert {"not_in_progress", "co_reply_missing", "lead_only"} <= codes


def test_rules_every_rule_is_explained_in_chinese_and_english() -> None:
    assert set(EXPLANATIONS) == set(Rule)
    for rule in Rule:
        assert rule.zh.strip() and rule.en.strip(), rule
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.zh), rule


def test_rules_a_refusal_with_an_undefined_code_fails_as_it_is_raised() -> None:
    with pytest.raises(ValueError, match="no_such_rule"):
        StateConflict("no_such_rule", "a typo in a rule code")
    assert StateConflict("not_open", "closed").rule is Rule.NOT_OPEN
