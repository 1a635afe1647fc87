"""Load scenario files with errors that name the field path and the file line.

YAML is parsed twice from the same text: once into plain Python data (``safe_load``)
and once into PyYAML's node tree (``compose``), from which a map ``path -> line`` is
built.  A pydantic error's ``loc`` is then matched to the deepest known path, so every
problem is reported as ``line 42: fleet.sites[0].systems[1].components[3].life.shape:
Input should be greater than 0``.  JSON is a subset of YAML and goes the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from optimizer.scenario import (
    MAX_COMPONENT_PERIODS,
    MAX_COMPONENTS,
    MAX_PERIODS,
    MAX_TWIN_SAMPLES,
    Scenario,
)

Loc = tuple[str | int, ...]
MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest scenario file, bytes (the HTTP service's body limit is its own setting)."""
MAX_PROBLEMS = 100
"""At most this many problems are listed; the last line says how many more there were."""


@dataclass(frozen=True)
class Problem:
    """One validation problem.

    Parameters
    ----------
    loc : tuple
        Path of the offending field (keys and list indices).
    message : str
        What is wrong, in plain language.
    line : int or None
        1-based line in the source file, when known.
    """

    loc: Loc
    message: str
    line: int | None = None

    @property
    def path(self) -> str:
        """The field path in dotted form with list indices, e.g. ``crews[0].headcount``."""
        out = ""
        for part in self.loc:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += ("." if out else "") + str(part)
        return out or "(document)"

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.path}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (with a JSON pointer for APIs)."""
        pointer = "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in self.loc)
        return {
            "path": self.path,
            "pointer": pointer if self.loc else "",
            "line": self.line,
            "message": self.message,
        }


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [
                *problems[:MAX_PROBLEMS],
                Problem((), f"... and {more} more problem(s) not listed (fix the first ones)"),
            ]
        self.problems = tuple(problems)
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{head}{len(self.problems)} problem(s)\n{lines}")


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that refuses duplicate keys (a silent overwrite hides typos).

    The libyaml parser when PyYAML has it (about 10x faster than the Python one).
    """


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar", key_node.start_mark
            ) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


MAX_ALIASES = 10_000
"""YAML alias references (``*name``) in one document."""
MAX_ALIAS_EXPANSION = 100_000
"""Nodes that expanding every YAML alias would add (what validation would visit)."""
MAX_NESTING = 64
"""Levels of nesting of a document (the schema itself needs about 10)."""


def check_aliases(node: yaml.Node | None) -> list[Problem]:
    """Refuse alias bombs before anything walks or constructs the document.

    Counts, on the composed node graph and in time linear in its distinct nodes, the
    alias references (a node reached a second time) and the number of nodes the
    document would have once every alias is expanded (what validation would visit),
    and the nesting depth.  Nothing is expanded.

    Parameters
    ----------
    node : yaml.Node or None
        The composed document (aliases are shared node objects).

    Returns
    -------
    list of Problem
        Empty when the document is within :data:`MAX_ALIASES`,
        :data:`MAX_ALIAS_EXPANSION` (nodes added by aliases) and :data:`MAX_NESTING`.
    """
    if node is None:
        return []
    # pass 1, pre-order: alias references (a node reached again) and the depth
    seen: set[int] = set()
    aliases = 0
    deepest = 0
    walk: list[tuple[yaml.Node, int]] = [(node, 1)]
    while walk:
        n, depth = walk.pop()
        if id(n) in seen:
            aliases += 1
            if aliases > MAX_ALIASES:
                line = n.start_mark.line + 1
                msg = f"more than {MAX_ALIASES} YAML alias references (limit MAX_ALIASES)"
                return [Problem((), msg, line)]
            continue
        seen.add(id(n))
        if depth > deepest:
            deepest = depth
            if deepest > MAX_NESTING:
                msg = f"nested more than {MAX_NESTING} levels deep (limit MAX_NESTING)"
                return [Problem((), msg, n.start_mark.line + 1)]
        if isinstance(n, yaml.MappingNode):
            walk.extend((c, depth + 1) for pair in n.value for c in pair)
        elif isinstance(n, yaml.SequenceNode):
            walk.extend((c, depth + 1) for c in n.value)
    if aliases == 0:
        return []
    # pass 2 (only with aliases), post-order: expanded size of every distinct node
    size: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        children: list[yaml.Node] = []
        if isinstance(n, yaml.MappingNode):
            children = [c for pair in n.value for c in pair]
        elif isinstance(n, yaml.SequenceNode):
            children = list(n.value)
        if done:
            if any(id(c) not in size for c in children):
                line = n.start_mark.line + 1
                return [Problem((), "a YAML alias refers to its own anchor (recursive)", line)]
            size[id(n)] = 1 + sum(size[id(c)] for c in children)
        elif id(n) not in size and id(n) not in entered:
            entered.add(id(n))  # an entered, unfinished node met again is an ancestor
            stack.append((n, True))
            stack.extend((c, False) for c in children if id(c) not in size)
    expansion = size[id(node)] - len(seen)
    if expansion > MAX_ALIAS_EXPANSION:
        return [
            Problem(
                (),
                f"YAML aliases would expand the document by {expansion} nodes, more than"
                f" {MAX_ALIAS_EXPANSION} (limit MAX_ALIAS_EXPANSION): an alias bomb?",
                1,
            )
        ]
    return []


def _shape_problem(data: Any) -> Problem | None:
    """A problem when ``data`` nests deeper than :data:`MAX_NESTING` or holds a list longer
    than :data:`~optimizer.scenario.MAX_TWIN_SAMPLES` (iterative walk, leaves not visited
    one by one: a list of 3 M numbers is refused in microseconds, not validated for 5 s)."""
    stack: list[tuple[Any, Loc]] = [(data, ())]
    seen: set[int] = set()
    while stack:
        node, loc = stack.pop()
        if len(loc) >= MAX_NESTING:
            msg = f"nested more than {MAX_NESTING} levels deep (limit MAX_NESTING)"
            return Problem(loc[:8], msg)
        if id(node) in seen:
            continue
        seen.add(id(node))  # a shared (aliased) container is walked once
        if isinstance(node, Mapping):
            stack.extend(
                (v, (*loc, str(k))) for k, v in node.items() if isinstance(v, Mapping | list)
            )
        elif isinstance(node, list):
            if len(node) > MAX_TWIN_SAMPLES:
                return Problem(
                    loc,
                    f"a list of {len(node):,} items, more than {MAX_TWIN_SAMPLES:,}"
                    " (limit MAX_TWIN_SAMPLES)",
                )
            stack.extend(
                (v, (*loc, j)) for j, v in enumerate(node) if isinstance(v, Mapping | list)
            )
    return None


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) else None


def size_problems(data: Mapping[str, Any]) -> list[Problem]:
    """The documented size limits, checked on the parsed document before validation.

    Cheap (counts list lengths, no validation): a fleet of 700,000 components is refused
    in milliseconds instead of being validated for minutes.  Malformed parts are left to
    the validation, which reports them.

    Returns
    -------
    list of Problem
        One per limit exceeded (:data:`~optimizer.scenario.MAX_COMPONENTS`,
        :data:`~optimizer.scenario.MAX_PERIODS`,
        :data:`~optimizer.scenario.MAX_COMPONENT_PERIODS`,
        :data:`~optimizer.scenario.MAX_TWIN_SAMPLES` items in any list,
        :data:`MAX_NESTING`), naming the limit and the value.
    """
    shape = _shape_problem(data)
    if shape is not None:
        return [shape]
    out: list[Problem] = []
    n_comp = 0
    fleet = data.get("fleet")
    sites = fleet.get("sites") if isinstance(fleet, Mapping) else None
    for site in sites if isinstance(sites, list) else []:
        systems = site.get("systems") if isinstance(site, Mapping) else None
        for system in systems if isinstance(systems, list) else []:
            comps = system.get("components") if isinstance(system, Mapping) else None
            n_comp += len(comps) if isinstance(comps, list) else 0
    if n_comp > MAX_COMPONENTS:
        out.append(
            Problem(
                ("fleet",),
                f"{n_comp:,} components, more than {MAX_COMPONENTS:,} (limit MAX_COMPONENTS):"
                " split the fleet into several scenarios",
            )
        )
    cal = data.get("calendar")
    horizon = _number(cal.get("horizon_days")) if isinstance(cal, Mapping) else None
    period = _number(cal.get("period_days", 1.0)) if isinstance(cal, Mapping) else None
    if horizon is not None and period is not None and horizon > 0 and period > 0:
        n_periods = math.ceil(min(horizon / period, 1e15) - 1e-9)
        if n_periods > MAX_PERIODS:
            out.append(
                Problem(
                    ("calendar", "period_days"),
                    f"{n_periods:,} planning periods, more than {MAX_PERIODS:,} (limit"
                    " MAX_PERIODS): use longer periods (period_days) or a shorter horizon",
                )
            )
        elif n_comp * n_periods > MAX_COMPONENT_PERIODS:
            out.append(
                Problem(
                    ("calendar", "period_days"),
                    f"{n_comp:,} components x {n_periods:,} periods = {n_comp * n_periods:,},"
                    f" more than {MAX_COMPONENT_PERIODS:,} (limit MAX_COMPONENT_PERIODS): use"
                    " longer periods (period_days), a shorter horizon or fewer components",
                )
            )
    return out


LIMITS: dict[str, tuple[int, str]] = {
    "MAX_FILE_BYTES": (MAX_FILE_BYTES, "bytes in a scenario file"),
    "MAX_COMPONENTS": (MAX_COMPONENTS, "components in the fleet"),
    "MAX_PERIODS": (MAX_PERIODS, "planning periods, ceil(horizon_days / period_days)"),
    "MAX_COMPONENT_PERIODS": (MAX_COMPONENT_PERIODS, "components x planning periods"),
    "MAX_TWIN_SAMPLES": (MAX_TWIN_SAMPLES, "samples per twin or distribution (items in any list)"),
    "MAX_NESTING": (MAX_NESTING, "levels of nesting in the document"),
    "MAX_ALIASES": (MAX_ALIASES, "YAML alias references"),
    "MAX_ALIAS_EXPANSION": (MAX_ALIAS_EXPANSION, "nodes YAML aliases may add when expanded"),
    "MAX_PROBLEMS": (MAX_PROBLEMS, "problems listed (then: how many more)"),
}
"""Every documented limit: name -> (value, what it counts); README "Scenario limits"."""


def _line_map(node: yaml.Node | None) -> dict[Loc, int]:
    """Map each path in a composed YAML document to the 1-based line of its value.

    A node reached again through an alias is not walked again (paths below an alias
    resolve to the alias's own line): the walk is linear in the file, never expanded.
    """
    lines: dict[Loc, int] = {}
    visited: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(node, ())] if node is not None else []
    while stack:
        n, loc = stack.pop()
        lines.setdefault(loc, n.start_mark.line + 1)
        if id(n) in visited:
            continue
        visited.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key: str | int = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
                # The key's own line is the most useful place for "unknown key" errors.
                lines[(*loc, key)] = k.start_mark.line + 1
                stack.append((v, (*loc, key)))
        elif isinstance(n, yaml.SequenceNode):
            for j, v in enumerate(n.value):
                stack.append((v, (*loc, j)))
    return lines


def _match_line(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    """Deepest known line for a pydantic loc (which may hold union tags not in the data)."""
    best: int | None = lines.get(())
    cur: Loc = ()
    for part in loc:
        cand = (*cur, part)
        if cand in lines:
            cur = cand
            best = lines[cand]
        elif isinstance(part, str) and (*cur, str(part)) in lines:
            cur = (*cur, str(part))
            best = lines[cur]
    return best


def _clean_loc(loc: Loc, data: Any) -> Loc:
    """Drop pydantic's union/discriminator tags, keeping only keys present in the data."""
    out: list[str | int] = []
    cur = data
    for part in loc:
        if isinstance(cur, Mapping) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, Mapping) and isinstance(part, str) and not _is_tag(part):
            # a missing required field: its name is the useful last element
            out.append(part)
            cur = None
        # else: a union tag such as 'weibull' or 'function-after[...]': skip
    return tuple(out)


def _is_tag(part: str) -> bool:
    return (
        "[" in part
        or part.startswith(("constrained-", "lax-", "json-"))
        or part
        in {
            "weibull",
            "lognormal",
            "gamma",
            "exponential",
            "normal",
            "deterministic",
            "empirical",
            "parametric",
            "samples",
            "progpy",
            "UnweightedSamples",
            "MultivariateNormalDist",
            "open_requests",  # campaign-resource triggers
            "fixed_dates",
            "float",
            "int",
            "str",
            "bool",
        }
    )


def _message(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown key (not part of the schema; check its spelling)"
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        return msg.replace("Input tag", "value")
    inp = err.get("input")
    if isinstance(inp, float) and not math.isfinite(inp):
        return f"{msg} (got {inp})"
    if err["type"].startswith(("greater", "less")) and isinstance(inp, int | float):
        return f"{msg} (got {inp!r})"
    return msg


def problems_from_validation(
    exc: ValidationError, data: Any, lines: Mapping[Loc, int]
) -> list[Problem]:
    """Translate a pydantic ``ValidationError`` into located problems."""
    by_loc: dict[Loc, list[Mapping[str, Any]]] = {}
    for raw in exc.errors(include_url=False):
        by_loc.setdefault(_clean_loc(tuple(raw["loc"]), data), []).append(raw)
    # every proper prefix of a located error: "is there a deeper error" in O(depth)
    prefixes = {loc[:i] for loc in by_loc for i in range(len(loc))}
    out: list[Problem] = []
    for loc, errs in by_loc.items():
        # A value checked against a union (number | distribution) fails every branch;
        # the branch whose *type* does not match the input only adds noise.
        informative = [e for e in errs if not _is_type_mismatch(e)]
        deeper = loc in prefixes
        if deeper and not informative:
            continue  # the input matched another branch, whose own errors are reported
        if informative:
            errs = informative
        elif len(errs) > 1:
            kinds = sorted({_KIND.get(str(e["type"]), str(e["type"])) for e in errs})
            errs = [{**errs[0], "msg": f"Input should be {' or '.join(kinds)}"}]
        seen: set[str] = set()
        for e in errs:
            msg = _message(e)
            if msg not in seen:
                seen.add(msg)
                out.append(Problem(loc, msg, _match_line(loc, lines)))
    return out


_KIND = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "model_attributes_type": "a mapping of fields",
    "dict_type": "a mapping of fields",
    "model_type": "a mapping of fields",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
}


def _is_type_mismatch(err: Mapping[str, Any]) -> bool:
    t = str(err["type"])
    return t.endswith("_type") or t.endswith("_parsing") or t == "model_attributes_type"


def parse_scenario(
    data: Any, lines: Mapping[Loc, int] | None = None, source: str | None = None
) -> Scenario:
    """Validate plain data (from YAML, JSON or an API body) into a :class:`Scenario`.

    Parameters
    ----------
    data : Any
        Parsed document.
    lines : mapping, optional
        Path -> line numbers for messages.
    source : str, optional
        Name of the source, for messages.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        Listing every structural and cross-reference problem with its path and line.
    """
    lines = lines or {}
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            [Problem((), f"a scenario must be a mapping of fields; the document is {kind}", 1)],
            source,
        )
    too_big = size_problems(data)
    if too_big:
        raise ScenarioError(
            [Problem(p.loc, p.message, _match_line(p.loc, lines)) for p in too_big], source
        )
    refs: list[tuple[Loc, str]] = []
    try:
        scn = Scenario.model_validate(data, context={"reference_problems": refs})
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, data, lines), source) from None
    except (OverflowError, RecursionError, ValueError, TypeError) as exc:  # pragma: no cover
        raise ScenarioError([Problem((), f"cannot be validated: {exc}")], source) from None
    if refs:
        raise ScenarioError(
            [Problem(loc, msg, _match_line(loc, lines)) for loc, msg in refs], source
        )
    return scn


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def load_text(text: str, source: str | None = None) -> Scenario:
    """Parse and validate YAML/JSON text.

    Raises
    ------
    ScenarioError
        For syntax errors (with line and column) and every validation problem.
    """
    if not text.strip():
        raise ScenarioError([Problem((), "the file is empty", 1)], source)
    if text.lstrip().startswith("{"):
        # JSON: the C parser is ~20x faster than composing YAML nodes; line numbers are
        # only needed for problems, which take the YAML path below.
        try:
            data = json.loads(text, object_pairs_hook=_json_object)
        except (ValueError, RecursionError):
            pass  # not strict JSON (or a duplicate key): the YAML path says where
        else:
            try:
                return parse_scenario(data, None, source)
            except ScenarioError as exc:
                if any("(limit MAX_" in p.message for p in exc.problems):
                    raise  # a size limit: refused without the (costly) line map
    loader: _LineLoader | None = None
    bomb: list[Problem] = []
    try:
        loader = _LineLoader(text)
        node = loader.get_single_node()
        bomb = check_aliases(node)
        if not bomb:
            lines = _line_map(node)
            data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = f", column {mark.column + 1}" if mark is not None else ""
        what = exc.problem or exc.context or "syntax error"
        raise ScenarioError(
            [Problem((), f"not valid YAML/JSON{col}: {what}", line)], source
        ) from None
    except (yaml.YAMLError, RecursionError, OverflowError, ValueError) as exc:
        raise ScenarioError([Problem((), f"not valid YAML/JSON: {exc}")], source) from None
    finally:
        if loader is not None:
            loader.dispose()
    if bomb:
        raise ScenarioError(bomb, source)
    return parse_scenario(data, lines, source)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (YAML or JSON).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        When the file is missing, unreadable, not UTF-8 text, not YAML/JSON, or invalid.
    """
    p = Path(path)
    src = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem((), "file not found")], src) from None
    except IsADirectoryError:
        raise ScenarioError([Problem((), "is a directory, not a file")], src) from None
    except OSError as exc:
        raise ScenarioError([Problem((), f"cannot be read: {exc.strerror}")], src) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([Problem((), f"larger than {MAX_FILE_BYTES} bytes")], src)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    (), f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line
                )
            ],
            src,
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScenarioError([Problem((), "contains a NUL byte: not a text file", line)], src)
    return load_text(text, src)
