"""A table's variables and values from its metadata, in both dialects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.pxweb.parsing import _category_codes

# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class Variable:
    code: str
    label: str
    values: list[str]
    value_labels: list[str]
    elimination: bool = False
    time: bool = False


@dataclass(frozen=True)
class TableMeta:
    table: str
    title: str
    variables: list[Variable]
    updated: str | None

    def variable(self, code: str) -> Variable:
        for variable in self.variables:
            if variable.code == code:
                return variable
        raise KeyError(code)


def meta_from_v1(table: str, body: dict[str, Any], updated: str | None) -> TableMeta:
    variables = [
        Variable(
            code=v["code"],
            label=v.get("text", v["code"]),
            values=[str(x) for x in v["values"]],
            value_labels=[str(x) for x in v.get("valueTexts", v["values"])],
            elimination=bool(v.get("elimination", False)),
            time=bool(v.get("time", False)),
        )
        for v in body["variables"]
    ]
    return TableMeta(table, body.get("title", table), variables, updated)


def meta_from_jsonstat2(table: str, body: dict[str, Any]) -> TableMeta:
    time_dims = set((body.get("role") or {}).get("time") or [])
    variables = []
    for code in body["id"]:
        dim = body["dimension"][code]
        values = _category_codes(dim)
        labels = (dim.get("category") or {}).get("label") or {}
        variables.append(
            Variable(
                code=code,
                label=dim.get("label", code),
                values=values,
                value_labels=[str(labels.get(v, v)) for v in values],
                elimination=bool((dim.get("extension") or {}).get("elimination", False)),
                time=code in time_dims,
            )
        )
    return TableMeta(table, body.get("label", table), variables, body.get("updated"))
