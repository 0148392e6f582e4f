"""Strict, safe loading of YAML configs into frozen dataclasses.

Every config is read through :func:`load_yaml` and turned into a frozen dataclass with
:func:`from_mapping`, which rejects unknown keys, reports missing required keys and checks
simple types, naming the file and the key path.

A config file is untrusted input (a user may be handed one), so :func:`load_yaml`

- reads only regular files (a folder, ``/dev/zero`` or a FIFO is refused, never read without
  limit) and at most :data:`MAX_CONFIG_BYTES` bytes — the largest packaged config is about
  11 kB, so 1 MB leaves room for a catalogue of thousands of kinds while bounding the time and
  memory a hostile file can cost;
- refuses a document whose YAML aliases would expand it beyond :data:`MAX_YAML_NODES` nodes
  (the "billion laughs" bomb: 440 bytes of nested anchors expand to billions of values) or that
  is recursive or nested deeper than :data:`MAX_YAML_DEPTH`, before anything is constructed;
- bounds every value shown in an error message (:func:`show`) to about 80 characters.

Paths written inside a config go through :func:`contained_path`: relative to the config's
folder and never leaving it. :func:`packaged` finds the configs shipped with the package and
:func:`find_config` looks in a user's ``--configs`` folder first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import stat
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from credit_risk.exceptions import ConfigError, show

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "contained_path",
    "find_config",
    "from_mapping",
    "load_yaml",
    "packaged",
    "parse_date",
    "show",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Largest config file read, in bytes (packaged configs are ≤ 11 kB).
MAX_CONFIG_BYTES = 1_000_000
#: Largest number of YAML nodes a document may have once its aliases are expanded.
MAX_YAML_NODES = 200_000
#: Deepest nesting of mappings and sequences accepted.
MAX_YAML_DEPTH = 64

_PACKAGED_DIR = (Path(__file__).resolve().parent / "configs").resolve()  # a symlink in a source checkout


# --------------------------------------------------------------------------- bounded messages


# --------------------------------------------------------------------------- safe YAML


#: libyaml's loader when installed (about 4× faster), else PyYAML's pure-Python one; both safe.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> Any:
    """``yaml.safe_load`` with bounds, raising ``yaml.YAMLError`` when a bound is passed.

    First the event stream is scanned (iteratively) for nesting deeper than
    :data:`MAX_YAML_DEPTH`, because the composer that builds the node graph is recursive. Then
    the document is composed — aliases share nodes, so the graph stays small while its
    expansion (what a consumer walking or printing the value sees) can be exponential — and
    its expanded size is counted before anything is constructed (:func:`_check_expansion`).
    """
    scan = _LOADER(text)
    aliases = 0
    try:
        depth = 0
        while scan.check_event():
            step = _DEPTH_STEP.get(type(scan.get_event()), 0)
            if step == 2:
                aliases += 1
            elif step:
                depth += step
                if depth > MAX_YAML_DEPTH:
                    raise yaml.YAMLError(f"it is nested more than {MAX_YAML_DEPTH} levels deep")
    finally:
        scan.dispose()
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if aliases:  # without aliases the expansion is the document itself, already bounded
            _check_expansion(node)
        _check_duplicate_keys(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


_DEPTH_STEP = {yaml.SequenceStartEvent: 1, yaml.MappingStartEvent: 1, yaml.SequenceEndEvent: -1,
               yaml.MappingEndEvent: -1, yaml.AliasEvent: 2}


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_duplicate_keys(root: yaml.Node) -> None:
    """Raise ``yaml.YAMLError`` when a mapping repeats a key (YAML would keep the last silently)."""
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                    continue
                line = key.start_mark.line + 1
                if (key.tag, key.value) in first:
                    raise yaml.YAMLError(
                        f"key {key.value[:80]!r} appears twice in one mapping (lines "
                        f"{first[(key.tag, key.value)]} and {line}); keep one of them"
                    )
                first[(key.tag, key.value)] = line
        stack.extend(_children(node))


def _check_expansion(root: yaml.Node) -> None:
    """Raise ``yaml.YAMLError`` when the alias-expanded document is too large, deep or recursive."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            if size[key] > MAX_YAML_NODES:
                raise yaml.YAMLError(
                    f"its aliases expand to more than {MAX_YAML_NODES:,} values (an alias bomb?); "
                    "write the values out or use fewer nested anchors"
                )
            if depth[key] > MAX_YAML_DEPTH:
                raise yaml.YAMLError(f"it is nested more than {MAX_YAML_DEPTH} levels deep")
            continue
        if key in size:
            continue
        if key in on_path:
            raise yaml.YAMLError("an alias refers to a value that contains it (a recursive anchor)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def _read_config_bytes(path: Path) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; check the path") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read ({exc.strerror}); check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"config file {path} is a folder; pass a YAML file")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"config file {path} is not a regular file (a device or pipe); pass a YAML file")
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"config file {path} has {st.st_size:,} bytes, more than the {MAX_CONFIG_BYTES:,} a config may "
            "have; pass the config, not a data file"
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read ({exc.strerror}); check its permissions") from None
    if len(data) > MAX_CONFIG_BYTES:  # grew after stat
        raise ConfigError(f"config file {path} has more than {MAX_CONFIG_BYTES:,} bytes; pass the config")
    return data


def load_yaml(path: str | Path) -> Any:
    """Read a YAML config safely, raising :class:`ConfigError` naming the file on any failure.

    Refuses folders, devices and other non-regular files, files over :data:`MAX_CONFIG_BYTES`,
    text that is not UTF-8, and documents whose aliases expand past :data:`MAX_YAML_NODES` values
    or that nest deeper than :data:`MAX_YAML_DEPTH` (see the module docstring for why).

    Examples
    --------
    >>> load_yaml(packaged("model.yaml"))["num_leaves"] > 0
    True
    """
    path = Path(path)
    data = _read_config_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte {exc.start:,}); save it as UTF-8"
        ) from None
    try:
        return _parse(text)
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        if len(message) > 300:
            message = message[:299] + "…"
        raise ConfigError(f"{path}: invalid YAML ({message}); fix the file") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML (nested too deeply); fix the file") from None


# --------------------------------------------------------------------------- paths


def contained_path(base_dir: str | Path, value: Any, where: str, *, directory: bool = False) -> Path:
    """Resolve a path written in a config, refusing anything that leaves ``base_dir``.

    Parameters
    ----------
    base_dir : path
        The folder the path is relative to (normally the config file's folder).
    value : str
        The path as written in the config.
    where : str
        The file and key, for messages, e.g. ``"data/dataset.yaml: catalog"``.
    directory : bool, default False
        Expect a folder instead of a regular file.

    Returns
    -------
    Path
        The resolved path, inside ``base_dir`` (symlinks followed).

    Raises
    ------
    ConfigError
        For a non-string, an absolute path, a path (or symlink) leading outside ``base_dir``, a
        missing path, a folder where a file is expected (or the reverse) and devices.
    """
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise ConfigError(f"{where}: expected a relative path, got {show(value)}; give a file name")
    raw = Path(value)
    base = Path(base_dir).resolve()
    if raw.is_absolute() or raw.drive:
        raise ConfigError(
            f"{where}: absolute path {show(str(value))} is refused; give a path relative to {base}"
        )
    target = (base / raw).resolve()
    if not target.is_relative_to(base):
        raise ConfigError(
            f"{where}: {show(str(value))} leads outside {base}; keep the file in that folder or below"
        )
    try:
        st = target.stat()
    except OSError:
        raise ConfigError(f"{where}: {show(str(value))} does not exist in {base}; check the name") from None
    if directory:
        if not stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{where}: {show(str(value))} is not a folder; give a folder")
    elif stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{where}: {show(str(value))} is a folder; give a YAML file")
    elif not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{where}: {show(str(value))} is not a regular file (a device or pipe); give a file")
    return target


def packaged(name: str) -> Path:
    """Path of a config shipped with the package (``credit_risk/configs/<name>``).

    Examples
    --------
    >>> packaged("tiers.yaml").name
    'tiers.yaml'
    """
    path = (_PACKAGED_DIR / name).resolve()
    if not path.is_relative_to(_PACKAGED_DIR) or not path.exists():
        available = sorted(p.name for p in _PACKAGED_DIR.iterdir())
        raise ConfigError(f"no packaged config {show(name)}; available: {available}")
    return path


def find_config(name: str, configs_dir: str | Path | None = None) -> Path:
    """``configs_dir/name`` when that exists, else the packaged ``name``.

    Parameters
    ----------
    name : str
        File (or folder) name, e.g. ``"train.yaml"`` or ``"domains"``.
    configs_dir : path, optional
        A user's config folder (``--configs DIR``); must be an existing folder when given.
    """
    if configs_dir is not None:
        folder = Path(configs_dir)
        if not folder.is_dir():
            raise ConfigError(
                f"configs folder {show(str(folder))} does not exist or is not a folder; "
                "pass a folder (e.g. one written by credit-risk init)"
            )
        candidate = folder / name
        if candidate.exists():
            logger.info("config %s: %s", name, candidate)
            return candidate
    return packaged(name)


# --------------------------------------------------------------------------- dates


def parse_date(value: Any, where: str, *, lo: str = "1900-01-01", hi: str = "2200-12-31") -> dt.date:
    """A plain ``YYYY-MM-DD`` date within ``[lo, hi]``; no time of day, no time zone.

    ``where`` (e.g. ``"train.yaml: label.start"``) starts every message; empty for none.

    Examples
    --------
    >>> parse_date("2026-01-01", "--as-of")
    datetime.date(2026, 1, 1)
    """
    at = f"{where}: " if where else ""
    if isinstance(value, dt.datetime):
        raise ConfigError(f"{at}expected a date YYYY-MM-DD, got {show(value)} with a time; drop the time")
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip() if isinstance(value, str) else None
        if text is None or len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.replace("-", "").isascii():
            raise ConfigError(
                f"{at}expected a date YYYY-MM-DD (no time, no time zone), got {show(value)}; e.g. 2026-01-01"
            )
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"{at}{show(value)} is not a calendar date; use YYYY-MM-DD, e.g. 2026-01-01") from None
    low, high = dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)
    if not low <= day <= high:
        raise ConfigError(f"{at}{day.isoformat()} is outside {lo} … {hi}; check the year")
    return day


# --------------------------------------------------------------------------- dataclasses


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        allowed = " or ".join(_type_name(a) for a in args)
        raise ConfigError(errors[0] if len(errors) == 1 else f"{where}: {show(value)} is none of {allowed}")
    if origin is typing.Literal:
        if isinstance(value, (list, dict)) or value not in args:
            raise ConfigError(f"{where}: {show(value)} is not one of {list(args)}; use one of them")
        return value
    if dataclasses.is_dataclass(tp):
        return from_mapping(tp, value, where)
    if origin in (tuple,):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {show(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise ConfigError(f"{where}: expected {len(args)} items, got {len(value):,}")
        return tuple(_convert(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True)))
    if origin in (dict, Mapping) or tp in (dict,):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {show(value)}")
        if not args:
            return dict(value)
        kt, vt = args
        return {
            _convert(k, kt, f"{where}.{show(k, 40)}"): _convert(v, vt, f"{where}.{show(k, 40)}")
            for k, v in value.items()
        }
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {show(value)}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {show(value)}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {show(value)}")
        return value
    if tp is str:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()  # YAML reads an unquoted 2024-01-01 as a date
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {show(value)}")
        return value
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {_type_name(tp)}, got {show(value)}")
    return value


def _settable(field: dataclasses.Field) -> bool:
    """Fields a YAML file may set: init fields not marked ``metadata={"config": False}``."""
    return field.init and field.metadata.get("config", True)


def from_mapping(cls: type[T], data: Any, where: str = "config") -> T:
    """Build dataclass ``cls`` from a mapping, rejecting unknown and missing keys.

    Fields declared with ``metadata={"config": False}`` (e.g. a folder set by the loader) are
    neither listed as allowed nor accepted from the mapping; set them with
    :func:`dataclasses.replace` afterwards.

    Parameters
    ----------
    cls : dataclass type
        The target; nested dataclass, tuple, dict, Literal and Optional fields are converted.
    data : mapping
        Parsed YAML.
    where : str
        Location used in error messages, e.g. ``"configs/catalog.yaml:kinds.penalty"``; start it
        with the file name so every error names its file.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Window:
    ...     days: int
    ...     label: str = "w"
    >>> from_mapping(Window, {"days": 90})
    Window(days=90, label='w')
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping of keys, got {show(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if _settable(f)}
    unknown = sorted((k for k in data if k not in fields), key=str)
    if unknown:
        listed = ", ".join(show(k, 40) for k in unknown[:5]) + (f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else "")
        raise ConfigError(f"{where}: unknown key(s) [{listed}]; allowed keys are {sorted(fields)}")
    kwargs = {}
    for name, field in fields.items():
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], f"{where}.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: required key '{name}' is missing; add it")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        if len(message) > 400:
            message = message[:399] + "…"
        if isinstance(exc, ConfigError) and message.startswith(where):
            raise
        raise ConfigError(f"{where}: {message}") from None
