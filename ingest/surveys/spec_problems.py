"""What is wrong with a survey file or spec (Problem, SurveyError); a spec's YAML read strictly
(a key given twice is an error) and its model's errors worded as problems the owner can act on."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

UNKNOWN = ("extra_forbidden", "invalid_key")  # a key the model does not declare (or not text)
MAPPING = ("model_type", "dict_type")  # a level or code mapping given as something else

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a survey file or spec."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file + (f":{self.row}" if self.row is not None else "")
        return f"{where}: {self.column + ': ' if self.column else ''}{self.reason}"


class SurveyError(ValueError):
    """A survey file or spec was rejected; nothing of it is loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        files = sorted({p.file for p in self.problems})
        lines = [str(p) for p in self.problems[:50]]
        more = len(self.problems) - len(lines)
        super().__init__(
            f"survey: {len(self.problems)} problem(s) in {', '.join(files)}; nothing was loaded\n  "
            + "\n  ".join(lines)
            + (f"\n  ... and {more} more (see the .errors.csv report beside the spec)" if more > 0 else "")
        )


class _SpecLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key given twice in one mapping (the later would win)."""


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first: int, line: int) -> None:
        super().__init__(f"key {key!r} is given twice (first on line {first}); the first would be ignored")
        self.line = line


def _construct_mapping(loader: _SpecLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, str | int | float | bool):
            if key in seen:
                raise _DuplicateKey(key, seen[key], line)
            seen[key] = line
    return loader.construct_mapping(node, deep=True)


_SpecLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_mapping(path: Path) -> dict[Any, Any]:
    """The spec as YAML reads it; SurveyError for a key given twice (on its line), bad YAML or no mapping."""
    where = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SpecLoader)  # noqa: S506 - a SafeLoader
    except _DuplicateKey as exc:
        raise SurveyError([Problem(where, exc.line, None, str(exc))]) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SurveyError([Problem(where, None, None, f"not a readable YAML spec: {exc}")]) from exc
    if not isinstance(raw, dict):
        raise SurveyError([Problem(where, None, None, "a spec is a YAML mapping (see README)")])
    return raw


def fail(reason: str) -> NoReturn:
    """Reject a value of the spec; its problem reads ``reason`` (prefixed with the entry or code)."""
    raise PydanticCustomError("spec", "{reason}", {"reason": reason})


def problems_of(
    where: str, error: ValidationError, levels: dict[tuple[str, ...], type[BaseModel]]
) -> list[Problem]:
    """A problem in spec ``where`` for every fault in ``error``; ``levels``: each level's model by
    its place (list positions left out), whose keys an unknown key is compared with.

    The keys an indicator lacks are one problem.
    """
    known = {place: [f.alias or name for name, f in m.model_fields.items()] for place, m in levels.items()}
    errors = _unknown_keys_first(error.errors())
    lacking: dict[Any, list[str]] = {}
    for e in errors:
        if e["type"] == "missing" and _in_list(e["loc"]):
            lacking.setdefault(e["loc"][1], []).append(str(e["loc"][2]))
    found: list[tuple[str | None, str]] = []
    for e in errors:
        loc = e["loc"]
        if e["type"] != "missing" or not _in_list(loc):
            found.append(_problem(e, known))
        elif loc[1] in lacking:
            found.append((str(loc[0]), f"{_path(loc[:2])} lacks {', '.join(lacking.pop(loc[1]))}"))
    return [Problem(where, None, column, reason) for column, reason in found]


def _problem(e: ErrorDetails, known: dict[tuple[str, ...], Sequence[str]]) -> tuple[str | None, str]:
    loc, kind, value = e["loc"], e["type"], e["input"]
    column = str(loc[0]) if len(loc) > 1 or (loc and kind not in UNKNOWN) else None
    if kind in UNKNOWN:
        key, owner = value if kind == "invalid_key" else loc[-1], loc[:-1]
        level = tuple(str(p) for p in owner if isinstance(p, str))
        noun = "role" if level == ("columns",) else "key"
        label = f"{_path(owner)}: " if any(isinstance(p, int) for p in owner) else ""
        return column, label + _unknown(str(key), known.get(level, ()), noun)
    if kind == "spec":
        reason = e.get("ctx", {}).get("reason", e["msg"])
        if len(loc) == 3:  # a value in a list (indicators[1]) or in a code mapping (codes.sex)
            owner = _path(loc[:2])
            reason = f"{owner}: {reason}" if isinstance(loc[1], int) else f"{owner}: {loc[2]!r} -> {reason}"
        return column, reason
    if kind == "missing" and loc[:1] == ("columns",):
        return column, f"columns.{loc[-1]} is required (the header of the file's {loc[-1]} column)"
    if kind in MAPPING and isinstance(loc[-1], int):
        return column, f"{_path(loc)} is not a mapping"
    if kind in MAPPING:
        return column, f"{_path(loc)} must be a mapping (key: value lines), not {type(value).__name__}"
    return column, f"{_path(loc)} = {value!r}: {e['msg']}"


def _unknown_keys_first(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Each level's unknown keys before its other faults: a misspelt key is often why the rest failed."""
    out: list[ErrorDetails] = []
    for e in errors:
        owner, at = e["loc"][:-1], len(out)
        if e["type"] in UNKNOWN:  # before the first fault within its level (its other unknown keys aside)
            within = (
                i
                for i, o in enumerate(out)
                if o["loc"][: len(owner)] == owner and not (o["type"] in UNKNOWN and o["loc"][:-1] == owner)
            )
            at = next(within, at)
        out.insert(at, e)
    return out


def _in_list(loc: Loc) -> bool:
    """A key of an entry in a list (indicators[1].title)."""
    return len(loc) == 3 and isinstance(loc[1], int)


def _path(loc: Loc) -> str:
    """A place in the spec as its owner writes it: indicators[1], codes.sex."""
    return "".join(
        f"[{p + 1}]" if isinstance(p, int) else f".{p}" if i else f"{p}" for i, p in enumerate(loc)
    )


def _unknown(key: str, known: Sequence[str], noun: str) -> str:
    """The problem with an unknown key, naming the nearest known one."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        hint = f"did you mean {close[0]!r}?"
    else:
        nearest = max(known, key=lambda k: difflib.SequenceMatcher(None, key, k).ratio())
        hint = f"the nearest known {noun} is {nearest!r} (known: {', '.join(known)})"
    return f"unknown {noun} {key!r}; {hint}"
