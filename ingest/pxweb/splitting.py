"""Splitting a selection into the fewest calls under a host's cell limit."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator, Sequence

# --------------------------------------------------------------------------- query splitting


def _factorisations(product: int, bounds: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Ordered tuples (m_1..m_k), 1 <= m_i <= bounds[i], whose product is ``product``."""
    if not bounds:
        if product == 1:
            yield ()
        return
    first, rest = bounds[0], bounds[1:]
    for m in range(1, min(first, product) + 1):
        if product % m == 0:
            for tail in _factorisations(product // m, rest):
                yield (m, *tail)


def plan_split(sizes: Sequence[int], max_cells: int) -> tuple[int, ...]:
    """Pieces per dimension so every call holds at most ``max_cells`` cells, in fewest calls.

    A call takes one piece of every dimension, so calls = the product of the pieces and a
    call's cells = the product of the piece sizes, ceil(n_i / m_i). The search walks call
    counts upwards from the lower bound ceil(cells / max_cells); the first that fits wins.
    """
    if max_cells < 1:
        raise ValueError("max_cells must be positive")
    total = math.prod(sizes)
    if total <= max_cells:
        return tuple(1 for _ in sizes)
    upper = math.prod(sizes)
    for calls in range(math.ceil(total / max_cells), upper + 1):
        best: tuple[int, ...] | None = None
        for pieces in _factorisations(calls, list(sizes)):
            cells = math.prod(math.ceil(n / m) for n, m in zip(sizes, pieces, strict=True))
            if cells <= max_cells:
                best = pieces
                break
        if best is not None:
            return best
    raise ValueError(f"no split of {sizes} fits {max_cells} cells")  # pragma: no cover


def naive_calls(sizes: Sequence[int], max_cells: int) -> int:
    """Calls when only whole values of the largest dimensions are split off, one at a time.

    The usual hand-written approach; the figure behind "calls saved by splitting".
    """
    calls, rest = 1, list(sizes)
    while math.prod(rest) > max_cells:
        i = max(range(len(rest)), key=lambda j: rest[j])
        other = math.prod(rest) // rest[i]
        if other <= max_cells:
            per_call = max_cells // other
            calls *= math.ceil(rest[i] / per_call)
            rest[i] = min(rest[i], per_call)
        else:
            calls *= rest[i]
            rest[i] = 1
    return calls


def _chunks(values: Sequence[str], pieces: int) -> list[list[str]]:
    size = math.ceil(len(values) / pieces)
    return [list(values[i : i + size]) for i in range(0, len(values), size)]


def _grid_parts(selection: dict[str, list[str]], max_cells: int) -> list[dict[str, list[str]]]:
    names = list(selection)
    pieces = plan_split([len(selection[n]) for n in names], max_cells)
    per_dim = [_chunks(selection[n], m) for n, m in zip(names, pieces, strict=True)]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*per_dim)]


@functools.lru_cache(maxsize=4096)
def _grid_calls(sizes: tuple[int, ...], max_cells: int) -> int:
    return math.prod(plan_split(sizes, max_cells))


def split_selection(selection: dict[str, list[str]], max_cells: int) -> list[dict[str, list[str]]]:
    """Split a selection (variable -> value codes) into the fewest calls under the limit.

    First the best grid (``plan_split``); when that misses the lower bound
    ceil(cells / max_cells), one cut of one variable into two blocks, each split on its own
    grid, often reaches it (e.g. 945,360 cells at 10,000: grid 96 calls, cut 95).
    """
    sizes = tuple(len(v) for v in selection.values())
    lower_bound = math.ceil(math.prod(sizes) / max_cells)
    best, cut = _grid_calls(sizes, max_cells), None
    for i, n in enumerate(sizes):
        if best == lower_bound:
            break
        for a in range(1, n):
            left = sizes[:i] + (a,) + sizes[i + 1 :]
            right = sizes[:i] + (n - a,) + sizes[i + 1 :]
            calls = _grid_calls(left, max_cells) + _grid_calls(right, max_cells)
            if calls < best:
                best, cut = calls, (i, a)
                if best == lower_bound:
                    break
    if cut is None:
        return _grid_parts(selection, max_cells)
    name = list(selection)[cut[0]]
    values = selection[name]
    return _grid_parts({**selection, name: values[: cut[1]]}, max_cells) + _grid_parts(
        {**selection, name: values[cut[1] :]}, max_cells
    )


def count_cells(selection: dict[str, list[str]]) -> int:
    return math.prod(len(v) for v in selection.values())
