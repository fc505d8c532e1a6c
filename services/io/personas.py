"""Loads and validates the persona files (YAML, one person per file) into the domain.

A bad file stops start-up with a :class:`FixtureError` naming the file, the field
(a path such as ``dossier.doelgroepen[0].periode.begin``) and the reason. The YAML
keys are the domain dataclasses' field names, so the model is the schema
(:mod:`magda_kbi.io.schemas` builds them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import sys
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from magda_kbi.domain.advies import TOEPASSINGEN, Reden, Resultaat
from magda_kbi.domain.dossier import (
    Interesse,
    KbiDossier,
    Persona,
    Persoonsgegevens,
    VerwachtAdvies,
)
from magda_kbi.domain.insz import (
    is_test_number,
    nearest_test_number,
    shown,
    unformatted,
    why_not_a_test_number,
    with_first_zero,
)
from magda_kbi.domain.municipalities import is_nis_code, name_in_register, nis_hint, same_name
from magda_kbi.domain.search import search_text
from magda_kbi.io.schemas import (
    InputError,
    build,
    did_you_mean,
    text_xml_cannot_hold,
    unknown_field,
)

if typing.TYPE_CHECKING:
    from magda_kbi.io.checked_files import CheckedFiles
from magda_kbi.wire.dossier_kbi import contract_error
from magda_kbi.wire.xml import package_folder

FAULT_CODES = (None, "99996", "SOAP_FAULT")
MAX_FILE_BYTES = 1024 * 1024  # a persona file is small; refuse anything absurd
YAML_SUFFIXES = (".yaml", ".yml")  # one persona each (.yml was passed over without a word)
PERSONA_SUFFIXES = (*YAML_SUFFIXES, ".jsonl")  # .jsonl: one a line, as generate writes them


# A scalar stays the text written unless YAML 1.1 and the writer surely agree. Dates stay
# text: the builder checks them with their field path. So do a time of day (18:30 was the
# base-60 number 1110, a lesson's hour "1110"), a phone number (0470123456 was the octal
# 81831726, +32470123456 lost its +), a decimal (1.50 was "1.5") and yes, no, on, off (NO,
# Norway, was false). Numbers are whole and written as JSON writes them, booleans true or
# false (YAML 1.2); a number or yes/no field reads the rest as before ("0470" is 470, "2.0"
# 2, "yes" true).
_AS_WRITTEN = {
    "tag:yaml.org,2002:int": re.compile(r"^-?(?:0|[1-9][0-9]*)$"),
    "tag:yaml.org,2002:bool": re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    "tag:yaml.org,2002:float": None,
    "tag:yaml.org,2002:timestamp": None,
}

_RESOLVERS = {
    first_char: [
        (tag, _AS_WRITTEN.get(tag, regex))
        for tag, regex in resolvers
        if _AS_WRITTEN.get(tag, regex) is not None
    ]
    for first_char, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _UniqueKeys:
    """A key given twice in one mapping is refused: YAML wants keys unique, and PyYAML kept
    the last one without a word (a second ``scenario:``, or a second ``dossier:`` block
    pasted below the first, silently replaced it). Merge keys (``<<``) are YAML's own."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag.endswith(":merge"):
                    continue
                if (key.tag, key.value) in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key.value!r} twice", key.start_mark
                    )
                seen.add((key.tag, key.value))
        return super().construct_mapping(node, deep=deep)


class _Loader(_UniqueKeys, yaml.SafeLoader):
    """YAML's safe loader (pure Python): its nesting ends in a RecursionError, never a crash."""

    yaml_implicit_resolvers = _RESOLVERS


class _FastLoader(_UniqueKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's parser where PyYAML has it (its wheels do): ten times faster (measured 3.1 ->
    0.3 ms per persona file). It recurses in C, and a flow nesting some 40,000 deep crashed
    the process (measured; 20,000 did not), so it only gets texts with at most
    FLOW_BRACKETS brackets: nesting can be no deeper than that."""

    yaml_implicit_resolvers = _RESOLVERS


FLOW_BRACKETS = 1000  # a persona has a few dozen; a generated file of 1,000 takes the other


def path_text(path: Path | str) -> str:
    """A path as text that every store, log and JSON takes: as it is, but a name that is no
    UTF-8 (a file from an old Windows share: b'persona-\\xe9.yaml') has those bytes written
    as \\xe9. As Python's str it held a surrogate, which neither store takes: serve stopped
    with "surrogates not allowed" importing such a file, and its watcher saying it refused
    one. The catalogue keeps it as the file's key and name, never to open it again."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


class FixtureError(ValueError):
    """``field`` is the field's path, ``-`` for the file as a whole."""

    def __init__(self, file: str, field: str, reason: str, *, folder: bool = False) -> None:
        file = path_text(file)  # said, and written to the store by the watcher
        super().__init__(f"{file}: {field}: {reason}")
        self.file, self.field, self.reason = file, field, reason
        self.folder = folder  # a --fixtures folder that is none, not a file in it

    @property
    def message(self) -> str:
        """For a person to read: ``FILE: field F: why``, or ``FILE: why`` for the whole file."""
        where = "" if self.field == "-" else f"field {self.field}: "
        return f"{self.file}: {where}{self.reason}"


def file_refusal(error: FixtureError | InputError) -> str:
    """The one line for a persona or consumers file that does not load, as start-up, a
    SIGHUP, a worker and the pytest plugin say it."""
    if isinstance(error, FixtureError):
        return f"invalid persona {'folder' if error.folder else 'file'} {error.message}"
    path = getattr(error, "path", None)  # a ConsumersFileError (io/consumer_file.py) knows it
    return f"invalid consumers file{f' {path}' if path else ''}: {error.message}"


def builtin_folder() -> Path:
    return package_folder("magda_kbi.fixtures") / "personas"


def load_personas(
    folders: Iterable[Path], *, contract: bool = True, checked: CheckedFiles | None = None
) -> dict[str, Persona]:
    """All personas of the folders (``*.yaml`` and ``*.jsonl``), in order; an INSZ may
    appear only once. ``contract=False`` skips the XSD check (for files already checked);
    ``checked`` skips it for the files whose exact content passed it before."""
    catalogue: dict[str, Persona] = {}
    origin: dict[str, Path] = {}
    for folder in folders:
        for persona, path in _with_origin(folder, contract, checked):
            if persona.insz in catalogue:
                raise FixtureError(
                    str(path), "insz", already_defined(persona.insz, origin[persona.insz])
                )
            catalogue[persona.insz] = persona
            origin[persona.insz] = path
    return catalogue


def already_defined(insz: str, elsewhere: str | Path) -> str:
    """Why a second persona with ``insz`` is refused; for a built-in one, the ways out."""
    message = f"{insz} is already defined in {elsewhere}"
    if Path(elsewhere).parent == builtin_folder():
        message += (
            " (a built-in persona: give yours another number, 'magda-kbi insz new' prints"
            " fresh ones; a running emulator with --admin takes a changed built-in persona"
            f" through PUT /admin/personas/{insz})"
        )
    return message


def fingerprint(folders: Iterable[Path]) -> str:
    """What changes when a persona file is added, changed or removed: a hash of each file's
    path, modification time and size. ``serve --watch`` takes it twice a second in each
    worker: for 5,000 files, 33 ms so (os.scandir, one hash fed as it goes), 75 ms with
    Path.glob, Path.stat and a list's repr (15% of a core per worker at rest)."""
    digest = hashlib.sha256()
    for folder in map(os.fspath, folders):
        try:
            with os.scandir(folder) as entries:
                names = sorted(e.name for e in entries if suffix(e.name) in PERSONA_SUFFIXES)
        except OSError:  # no folder (yet), or a file: persona_files says why at a load
            continue
        for name in names:
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:  # removed between the listing and the stat
                continue
            digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()


def suffix(name: str) -> str:
    """Path(name).suffix for a persona file's name, without making a Path."""
    return os.path.splitext(name)[1]


def persona_files(folder: Path) -> list[Path]:
    """The persona files of a folder, in the order they are read."""
    if not folder.is_dir():
        reason = "is a file, not a folder of persona files" if folder.exists() else "no such folder"
        raise FixtureError(str(folder), "-", reason, folder=True)
    files = [p for p in sorted(folder.iterdir()) if p.suffix in PERSONA_SUFFIXES]
    for path in files:
        # Read whole or line by line: a pipe waited for ever, a link to /dev/zero read until
        # memory ran out, a folder was a traceback (IsADirectoryError)
        if not path.is_file():
            reason = "not a plain file (a folder, a pipe or a device)"
            raise FixtureError(str(path), "-", reason if path.exists() else "a link to nothing")
    return files


def _with_origin(
    folder: Path, contract: bool = True, checked: CheckedFiles | None = None
) -> Iterator[tuple[Persona, Path]]:
    for path in persona_files(folder):
        for persona, _ in read_persona_file(path, contract=contract, checked=checked):
            yield persona, path


def read_persona_file(
    path: Path,
    *,
    contract: bool = True,
    checked: CheckedFiles | None = None,
    content: bytes | None = None,
) -> Iterator[tuple[Persona, str]]:
    """The personas of one file, each with its data as JSON text (what a catalogue keeps).
    ``checked`` skips the XSD check when the file's exact content passed it before."""
    key, check = None, contract
    if contract and checked is not None:
        if content is None:
            try:  # read once: what is hashed is what is loaded; a .yaml to one byte past
                # its bound, which the loader refuses (it was read whole first)
                with path.open("rb") as handle:
                    yaml_file = path.suffix in YAML_SUFFIXES
                    content = handle.read(MAX_FILE_BYTES + 1 if yaml_file else -1)
            except OSError:
                content = None  # the loader below says what is wrong with the file
        if content is not None:
            key = checked.key(content)
            check = not checked.known(key)
    if path.suffix in YAML_SUFFIXES:
        yield _yaml_file(path, check, content)
    else:
        yield from _jsonl(path, check, content)
    if check and key is not None:  # the whole file passed: remember it
        checked.add(key)


def stream_personas(
    folders: Iterable[Path], *, contract: bool = True, checked: CheckedFiles | None = None
) -> Iterator[Persona]:
    """The personas of the folders one at a time (``*.yaml``: one per file; ``*.jsonl``: one
    per line, as ``magda-kbi generate`` writes them), so memory stays flat however many
    there are; an INSZ a second time is refused, as :func:`load_personas` refuses it.
    ``contract=False`` skips the check against the KBI XSD, which lists do not need;
    ``checked`` skips it for the files whose exact content passed it before. A folder that
    is not there is refused here, before the first persona: a list must not be half written
    when it is."""
    files = [path for folder in folders for path in persona_files(folder)]
    personas = (
        (path, p)
        for path in files
        for p, _ in read_persona_file(path, contract=contract, checked=checked)
    )
    return _once_each(files, personas)


def _once_each(files: list[Path], personas: Iterable[tuple[Path, Persona]]) -> Iterator[Persona]:
    """The personas, each INSZ once: a person defined twice (a file merged by hand, a built-in
    persona's number in your own) was in a list twice. The INSZs seen go to a temporary
    SQLite file, whose cache is bounded: a million in a set took 70 MB more."""
    numbers = {path: n for n, path in enumerate(files)}
    with contextlib.closing(sqlite3.connect("")) as seen:  # "": a temporary file
        seen.execute("CREATE TABLE seen (insz INTEGER PRIMARY KEY, file INTEGER)")
        for path, persona in personas:
            try:  # in one transaction, never committed: the file goes when it closes
                seen.execute("INSERT INTO seen VALUES (?, ?)", (int(persona.insz), numbers[path]))
            except sqlite3.IntegrityError:
                (first,) = seen.execute(
                    "SELECT file FROM seen WHERE insz = ?", (int(persona.insz),)
                ).fetchone()
                raise FixtureError(
                    str(path), "insz", already_defined(persona.insz, files[first])
                ) from None
            yield persona


def _jsonl(
    path: Path, contract: bool, content: bytes | None = None
) -> Iterator[tuple[Persona, str]]:
    if content is not None:
        try:
            text = content.decode("utf-8-sig")  # a byte order mark, as Notepad saves UTF-8
        except UnicodeDecodeError as error:
            raise FixtureError(str(path), "-", not_utf8(error)) from None
        # Lines end at \n, as a file's do: splitlines() also ends them at characters JSON
        # takes raw inside a string (U+2028, U+0085, \x1c ...), which broke such a line
        yield from _jsonl_lines(path, contract, text.split("\n"))
        return
    with path.open("rb") as file:  # each line decoded here: a bad byte names its line
        yield from _jsonl_lines(path, contract, _utf8_lines(path, file))


def _utf8_lines(path: Path, lines: Iterable[bytes]) -> Iterator[str]:
    # Read as text, a byte that is no UTF-8 was a UnicodeDecodeError out of the loader: a
    # traceback from serve's start and the exports
    for number, line in enumerate(lines, 1):
        try:  # the first line may begin with a byte order mark, as Notepad saves UTF-8
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise FixtureError(str(path), "-", not_utf8(error, number)) from None


def not_utf8(
    error: UnicodeDecodeError, line: int | None = None, advice: str = "save the file as UTF-8"
) -> str:
    """What a file (or body) that is no UTF-8 text is told: the byte, its line (counted in
    the bytes decoded unless given) and what to do."""
    if line is None:
        line = error.object[: error.start].count(b"\n") + 1
    byte = error.object[error.start]
    return f"not UTF-8 text: byte 0x{byte:02X} at line {line} ({advice})"


def _jsonl_lines(path: Path, contract: bool, lines: Iterable[str]) -> Iterator[tuple[Persona, str]]:
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            yield persona_from_data(read_json(line), contract=contract), line
        except InputError as error:
            raise FixtureError(f"{path}:{number}", error.field, error.reason) from None


def _yaml_file(path: Path, contract: bool, content: bytes | None) -> tuple[Persona, str]:
    try:
        if (len(content) if content is not None else path.stat().st_size) > MAX_FILE_BYTES:
            raise InputError("-", f"file larger than {MAX_FILE_BYTES} bytes")
        try:
            text = (
                content.decode("utf-8") if content is not None else path.read_text(encoding="utf-8")
            )
        except UnicodeDecodeError as exc:
            raise InputError("-", not_utf8(exc)) from None
        data = read_yaml(text)
        persona = persona_from_data(data, contract=contract)
        try:
            return persona, json.dumps(data, ensure_ascii=False)
        except (TypeError, ValueError):  # YAML's !!binary, !!set: a catalogue keeps JSON
            raise InputError("-", "holds values JSON cannot carry (such as !!binary)") from None
    except InputError as error:
        raise FixtureError(str(path), error.field, error.reason) from None


def read_yaml(text: str) -> Any:
    """YAML (or JSON, a subset) as the persona files are read; dates stay text."""
    try:
        brackets = text.count("[") + text.count("{")
        reader = _FastLoader if brackets <= FLOW_BRACKETS else _Loader
        data = yaml.load(text, Loader=reader)  # noqa: S506 - SafeLoader subclasses
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            # PyYAML says "found character that cannot start any token" of a tab
            place = f"line {mark.line + 1}, column {mark.column + 1}"
            raise InputError(
                "-", f"not valid YAML: a tab at {place} (YAML indents with spaces)"
            ) from None
        raise InputError("-", f"not valid YAML: {_yaml_reason(exc)}") from None
    except RecursionError:
        raise InputError("-", "nested too deeply") from None
    except ValueError as exc:  # an integer too long for Python to read (int(), 4,300 digits)
        raise InputError("-", f"not valid YAML: {_without_pythons_advice(exc)}") from None
    limit = len(text) + ALIAS_ALLOWANCE
    if not _at_most(data, limit):
        raise InputError(
            "-",
            f"its aliases (*name) make it more than {limit:,} values, from {len(text):,}"
            " characters: a persona needs an anchor's values a few times, not nested lists of"
            " them",
        )
    _whole_characters(data, text)
    return data


# A text decoded from UTF-8 holds no UTF-16 surrogate; only a JSON escape makes one (\ud800
# alone; a pair, \ud83d\ude00, is one character; our YAML reader refuses them). No store,
# file or reply can hold one: a persona with one was a traceback at serve's import (its
# search text), a 500 from the admin API with a store, and from the console without one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _whole_characters(data: Any, text: str) -> None:
    """Refuses a text that holds half a character (a surrogate), naming where it is."""
    if _SURROGATE_ESCAPE.search(text) is None:  # the usual case: one search of the text
        return
    pending: list[tuple[Any, str]] = [(data, "-")]
    while pending:
        value, where = pending.pop()
        if isinstance(value, dict):
            pending.extend((v, k if where == "-" else f"{where}.{k}") for k, v in value.items())
            pending.extend((k, where) for k in value if isinstance(k, str))
        elif isinstance(value, list):
            pending.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
        elif isinstance(value, str) and (half := _SURROGATE.search(value)) is not None:
            raise InputError(
                where,
                f"U+{ord(half.group()):04X} is half a character (a UTF-16 surrogate: an"
                " escape such as \\ud83d without its other half): write the character itself",
            )


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """PyYAML's error on one line (it writes four, and a refusal is one line): the problem
    and where, then what it was reading and from where."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc)
    if exc.problem == "but found another document" and exc.problem_mark is not None:
        line = exc.problem_mark.line + 1
        return f"a second document ('---') at line {line}: a file holds one document"
    reason = exc.problem or exc.context or "unreadable"
    if exc.problem_mark is not None:
        reason += f" at {_where(exc.problem_mark)}"
    if exc.problem and exc.context:
        mark = exc.context_mark
        elsewhere = mark is not None and (
            exc.problem_mark is None or _where(mark) != _where(exc.problem_mark)
        )
        reason += f" ({exc.context} at {_where(mark)})" if elsewhere else f" ({exc.context})"
    return reason


def _where(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


# An alias is the anchored value again, and aliases of lists of aliases multiply: 6 KB of
# YAML made 490,000 Dutch lessons, 21 s and 1.3 GB in the worker that took it through the
# admin API (and in every worker after, from the store); 13 KB would have made 2.3 million.
# Without aliases a text of N characters holds fewer than N values (the fullest persona: 653
# values in 16,253 characters); its anchors may add this many.
ALIAS_ALLOWANCE = 10_000


def _at_most(data: Any, limit: int) -> bool:
    """Whether ``data`` has at most ``limit`` values, an alias's counted each time: stops
    counting past ``limit``, so its cost is bounded too."""
    pending, count = [data], 0
    while pending:
        value = pending.pop()
        count += 1
        if count > limit:
            return False
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True


def _unique(pairs: list[tuple[str, Any]]) -> dict:
    data = dict(pairs)  # json kept the last of two values without a word, as PyYAML did
    if len(data) < len(pairs):  # the check costs 3 us a generated persona, a loop 9 us
        keys = [key for key, _ in pairs]
        twice = next(s for s in keys if keys.count(s) > 1)
        raise ValueError(f"the key {twice!r} twice in one object")
    return data


# made once: json.loads(text, object_pairs_hook=...) makes a decoder a call
def _no_constant(name: str) -> Any:
    """NaN, Infinity and -Infinity: Python's reader takes them, JSON has none (RFC 8259);
    a share of NaN was refused as 'nan is more than 1'."""
    raise ValueError(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity)")


_JSON = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constant)


def read_json(text: str) -> Any:
    """JSON as the admin API and the population files are read: a key twice in one object, a
    number too long to read and too deep a nesting are an :class:`InputError`, as in YAML."""
    try:
        data = _JSON.decode(text)
    except RecursionError:
        raise InputError("-", "nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, a key twice, an integer too long
        raise InputError("-", f"not valid JSON: {_without_pythons_advice(exc)}") from None
    _whole_characters(data, text)
    return data


def _without_pythons_advice(exc: ValueError) -> str:
    """What went wrong, without Python's advice to raise its own limit."""
    if "integer string conversion" in str(exc):
        return f"a number of more than {sys.get_int_max_str_digits()} digits"
    return str(exc)


def data_search_text(data: dict) -> str:
    """``domain.search.persona_search_text`` of the persona ``data`` makes (data that
    passed :func:`persona_from_data`), without making it: a catalogue's migration reads a
    million of them, and ``generate --store`` writes as many."""
    dossier = data.get("dossier")
    if dossier is not None:
        personalia = dossier.get("personalia") or {}
        names = (personalia.get("voornamen") or (), personalia.get("achternamen") or ())
        name = " ".join((*names[0], *names[1]))
    else:
        name = data.get("naam") or ""
    return search_text(data["insz"], name, data["scenario"].strip())


def dossier_name(voornamen: Sequence[str], achternamen: Sequence[str]) -> str:
    """A persona's ``naam`` when its file gives none: the dossier's first first name and
    its last names."""
    return " ".join(n for n in (*voornamen[:1], *achternamen) if n.strip())


def summary(persona: Persona) -> dict[str, Any]:
    """A persona as the admin API lists it."""
    return {
        "insz": persona.insz,
        "naam": persona.naam,
        "scenario": persona.scenario,
        "fout": persona.fout,
        "in_kbi": persona.dossier is not None,
    }


def data_summary(data: dict) -> dict[str, Any]:
    """:func:`summary` of the persona ``data`` makes (data that passed
    :func:`persona_from_data`), without making it: building each of 200,000 personas to
    list them took 21 s, reading their JSON 4 s."""
    dossier = data.get("dossier")
    name = data.get("naam")
    if name is None and dossier is not None:
        personalia = dossier.get("personalia") or {}
        name = dossier_name(personalia.get("voornamen") or (), personalia.get("achternamen") or ())
    return {
        "insz": data["insz"],
        "naam": name,
        "scenario": data["scenario"].strip(),
        "fout": data.get("fout"),
        "in_kbi": dossier is not None,
    }


def persona_from_data(data: Any, *, contract: bool = True) -> Persona:
    """Builds and checks one persona from its parsed YAML/JSON mapping.

    The checks are those of start-up: fields, types, dates, a MAGDA test number, expected
    answers, and the dossier against our KBI contract.
    """
    if isinstance(data, list):  # several personas in one file or body
        raise InputError("-", "expected a mapping (key: value) of one persona, not a list")
    fields = _mapping(data, "")
    _no_unknown(fields, {"insz", "scenario", "naam", "fout", "dossier", "verwacht", "gegevens"}, "")
    insz = fields.get("insz")
    if isinstance(insz, int) and not isinstance(insz, bool):  # written without quotes
        restored = with_first_zero(str(insz))
        raise InputError(
            "insz",
            f"{insz} is a number: an INSZ is text (quote it: '{insz}')"
            if restored is None
            else f"{insz} is a number, which lost its first 0 (quote it: '{restored}')",
        )
    if not isinstance(insz, str):
        raise InputError("insz", 'required, as a quoted string (e.g. "98630499724")')
    if not is_test_number(insz):
        digits = unformatted(insz)
        if digits != insz and is_test_number(digits):
            # as the path of PUT /admin/personas says it: "is not 11 digits" hid that it is one
            raise InputError(
                "insz", f"{shown(insz)} is written as printed: its 11 digits, {digits}"
            )
        restored = with_first_zero(insz)
        if restored is not None and is_test_number(restored):
            raise InputError(  # a number from a spreadsheet
                "insz", f"{shown(insz)} has lost its first 0: its 11 digits, {restored}"
            )
        closest = nearest_test_number(insz)
        raise InputError(
            "insz",
            f"{shown(insz, quote=False)} is not a MAGDA test number (11 digits, modulo 97, "
            "month digits 61-72): "
            f"{why_not_a_test_number(insz)}"
            + (f"; the nearest test number is {closest}" if closest else "")
            + " ('magda-kbi insz new' prints fresh ones)",
        )
    scenario = fields.get("scenario")
    if not isinstance(scenario, str) or not scenario.strip():
        raise InputError("scenario", "required: one line saying what the persona shows")
    error = fields.get("fout")
    if error not in FAULT_CODES:
        # YAML reads an unquoted 99996 as a number
        hint = (
            " (quote it: '99996')" if error == 99996 else did_you_mean(str(error), FAULT_CODES[1:])
        )
        raise InputError("fout", f"must be empty, '99996' or 'SOAP_FAULT', not {error!r}{hint}")
    dossier = None
    if fields.get("dossier") is not None:
        dossier_data = dict(_mapping(fields["dossier"], "dossier"))
        if "insz" in dossier_data:
            raise InputError(
                "dossier.insz", "the INSZ goes at the top of the file, not in the dossier"
            )
        dossier_data["insz"] = insz
        dossier = build(KbiDossier, dossier_data, "dossier")
        _born_before_the_facts(dossier)
    name = fields.get("naam")
    if name is None and dossier is not None:
        name = dossier_name(dossier.personalia.voornamen, dossier.personalia.achternamen)
        if not name:  # the real contract allows empty names; the catalogue needs a label
            raise InputError("naam", "required: the dossier's personalia give no name")
    if not isinstance(name, str) or not name:
        # one given of another type (naam: !!binary ...) was told it is required
        missing = dossier is None and name in (None, "")
        raise InputError(
            "naam", "required when there is no dossier" if missing else "must be a text"
        )
    expected = tuple(
        _expected_advice(item, f"verwacht[{i}]")
        for i, item in enumerate(_list(_or_empty(fields, "verwacht", []), "verwacht"))
    )
    gegevens = build(Persoonsgegevens, _or_empty(fields, "gegevens", {}), "gegevens")
    _check_dated(gegevens)
    interests = gegevens.participatie.interesses if gegevens.participatie else ()
    if Interesse.GEEN in interests and len(interests) > 1:
        raise InputError("gegevens.participatie.interesses", "'geen' goes alone")
    if contract:
        # text XML cannot carry first: it would stop the rendering, not fail the XSD (the
        # SOAP reply; the lists' XML after their 200: participatie names the persona by its
        # naam, with its contact and participatie). The scenario goes into no XML: pasted
        # text with control characters is taken there (the search reads them as spaces).
        for value, path in ((dossier, "dossier"), (gegevens, "gegevens"), (name, "naam")):
            if (unwritable := text_xml_cannot_hold(value, path)) is not None:
                raise unwritable
        if dossier is not None and (deviation := contract_error(dossier, gegevens.contact)):
            path, reason = deviation
            raise InputError(f"dossier ({path})", f"does not fit the KBI contract: {reason}")
    return Persona(
        insz=insz,
        scenario=scenario.strip(),
        dossier=dossier,
        fout=error,
        naam=name,
        verwacht=expected,
        gegevens=gegevens,
    )


def _born_before_the_facts(dossier: KbiDossier) -> None:
    """A birth date after the dossier's first fact is a typo (2030 for 2003): taken as
    written, it made the person a minor, so every advice OK (rule 3)."""
    born = dossier.personalia.geboortedatum
    feiten = dossier.feitdata() if born is not None else []
    if feiten and born > feiten[0]:
        raise InputError(
            "dossier.personalia.geboortedatum",
            f"{born} is after the dossier's first fact, on {feiten[0]}: is the year right?",
        )


def _check_dated(gegevens: Persoonsgegevens) -> None:
    """What the municipality and zorgkas flows select on. A residence whose code is no NIS
    code, one that begins on the day another does (which is the main residence?) and a
    membership of no zorgkas were taken as written, and gave lists and protocol decisions
    nobody meant."""
    for i, w in enumerate(gegevens.woonplaatsen):
        if not is_nis_code(w.nis):
            hint = nis_hint(w.nis)  # "Gent" written for its code
            raise InputError(
                f"gegevens.woonplaatsen[{i}].nis", f"{w.nis!r} is not a NIS code (5 digits){hint}"
            )
        known = name_in_register(w.nis)
        if known is not None and not same_name(w.naam, known):
            # the lists and the municipalities' route name it by the register: a code or a
            # name mistyped gave a residence nobody meant, without a word
            raise InputError(
                f"gegevens.woonplaatsen[{i}].naam",
                f"{w.naam!r} is not the municipality of NIS code {w.nis} ({known})"
                f"{nis_hint(w.naam)}",
            )
    for i, member in enumerate(gegevens.lidmaatschappen):
        if not member.zorgkas.strip():
            raise InputError(f"gegevens.lidmaatschappen[{i}].zorgkas", "is empty")
        if member.zorgkas != member.zorgkas.strip():  # matched no consumer, no list's zorgkas
            raise InputError(
                f"gegevens.lidmaatschappen[{i}].zorgkas",
                f"{member.zorgkas!r} has spaces around it: consumers and lists name a zorgkas"
                " without them",
            )
    _one_at_a_time(gegevens.woonplaatsen, "woonplaatsen", "main residence", "residence")
    _one_at_a_time(gegevens.lidmaatschappen, "lidmaatschappen", "zorgkas", "membership")


def _one_at_a_time(dated: Iterable[Any], name: str, one: str, item: str) -> None:
    """Two that begin on one day: which one holds? (A later begin replaces an earlier one
    without einde.)"""
    begun: dict[date, int] = {}
    for i, entry in enumerate(dated):
        if entry.begin in begun:
            raise InputError(
                f"gegevens.{name}[{i}].begin",
                f"{entry.begin} is also the begin of {name}[{begun[entry.begin]}]: one {one}"
                f" at a time (a later begin replaces an earlier {item})",
            )
        begun[entry.begin] = i


def _expected_advice(data: Any, path: str) -> VerwachtAdvies:
    expected = build(VerwachtAdvies, data, path)
    if expected.resultaat not in Resultaat.__members__:
        hint = did_you_mean(str(expected.resultaat), Resultaat.__members__)
        raise InputError(f"{path}.resultaat", f"must be OK or NOK{hint}")
    if expected.toepassing not in TOEPASSINGEN:
        hint = did_you_mean(str(expected.toepassing), TOEPASSINGEN)
        raise InputError(f"{path}.toepassing", f"unknown: {expected.toepassing}{hint}")
    if expected.resultaat == "NOK" and expected.reden not in Reden.__members__:
        reasons = ", ".join(Reden)
        if expected.reden is None:
            raise InputError(f"{path}.reden", f"NOK needs a reden, one of {reasons}")
        hint = did_you_mean(str(expected.reden), Reden.__members__)
        raise InputError(
            f"{path}.reden", f"{expected.reden!r} is not a reden: one of {reasons}{hint}"
        )
    if expected.resultaat == "OK" and expected.reden is not None:
        raise InputError(f"{path}.reden", "an OK advice has no reden")
    return expected


def _mapping(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InputError(path or "-", "expected a mapping (key: value)")
    return data


def _or_empty(fields: Mapping[str, Any], key: str, empty: Any) -> Any:
    """A field's value, ``empty`` when it is left out or null (YAML's bare ``verwacht:``).
    Not ``or``: a false, 0 or "" is a wrong value to refuse, not an empty one to take."""
    value = fields.get(key)
    return empty if value is None else value


def _list(data: Any, path: str) -> list[Any]:
    if not isinstance(data, list):
        raise InputError(path, "expected a list")
    return data


def _no_unknown(fields: Mapping[str, Any], allowed: set[str], path: str) -> None:
    unknown = sorted(set(map(str, fields)) - allowed)
    if unknown:
        raise InputError(
            f"{path}.{unknown[0]}" if path else unknown[0], unknown_field(unknown[0], allowed)
        )
