"""The one gate for every file the toolkit reads from a package or writes for it.

A package comes from strangers (a pull request, a downloaded release), so every path that
package content names (a resource path, a schema file, a ``source_file`` cell) goes through
:func:`package_file` before anything opens it, and every output a command is asked to write
goes through :func:`output_path`.

Reading (:func:`package_file`): a relative path with no URL scheme, inside the package root
after every symbolic link is resolved, naming a regular file (not a FIFO, device, socket or
folder) no larger than a bound.  Writing (:func:`output_path`): never into the corpus
(``datapackage.json``, ``data/``, ``schemas/``, ``sources/``, ``sql/``, ``validation/`` or any
file the descriptor names), never onto something that is not a regular file or a folder.
Every refusal names the path and the rule it breaks.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# Bounds on what one file may hold (bytes).  Data files are streamed by DuckDB; a source file
# is read whole, the descriptor, schemas and configuration are parsed in memory.
MAX_DATA_BYTES = 16 * 1024**3
MAX_SOURCE_BYTES = 1024**3
MAX_META_BYTES = 16 * 1024**2

# Folders of a package that hold the corpus itself: no command writes its output there.
CORPUS_FOLDERS = ("data", "schemas", "sources", "sql", "validation")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# what a message escapes: C0 and C1 controls (but TAB and LF), the bidirectional overrides that reorder a
# terminal line, and every character a terminal shows as nothing, so that a value never looks right while
# it is not: the format characters (Cf: zero-width spaces and joiners, a byte-order mark, the soft hyphen,
# bidirectional marks and isolates, tags, ...), line and paragraph separators, variation selectors, the
# combining grapheme joiner, Mongolian free variation selectors, the Hangul fillers and private use
# (tests/test_hostile.py checks the list against Python's Unicode database, code point by code point)
UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164"
    "\ue000-\uf8ff\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef"
    "\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def _escaped(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _json_escaped(m: re.Match) -> str:
    code = ord(m.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes a character beyond the BMP as its UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class PathRefused(Exception):
    """A path that package content or an option names, refused by the gate (exit code 1)."""


def shown(path: object) -> str:
    """A path (or any text from outside) as a message may print it: control and invisible characters escaped."""
    text = str(path)
    if not UNPRINTABLE.search(text):
        return text
    return UNPRINTABLE.sub(_escaped, text)


def json_safe(text: str) -> str:
    """JSON text with what UNPRINTABLE matches written as \\u escapes (still the same JSON)."""
    return UNPRINTABLE.sub(_json_escaped, text)


def package_file(root: Path, relative: object, what: str, max_bytes: int = MAX_DATA_BYTES,
                 must_exist: bool = True) -> Path:
    """The real path of a file that package content names, or :class:`PathRefused`.

    ``what`` says where the path came from (``datapackage.json: resource "tasks" path``).
    """
    return _checked(Path(root).resolve(), relative, what, max_bytes, must_exist, None)[0]


def package_files(root: Path, relatives: list, what: str, max_bytes: int = MAX_DATA_BYTES) -> list:
    """:func:`package_file` for many paths at once: for each, ``(real path, size in bytes)`` or the
    :class:`PathRefused` it raises, in order.

    The same gate, cheaper per file: the package root and each folder are resolved once, and a file
    that is not a symbolic link is checked with one ``lstat`` (a link is resolved in full).
    """
    base, folders, out = Path(root).resolve(), {}, []
    for relative in relatives:
        try:
            real, info = _checked(base, relative, what, max_bytes, True, folders)
            out.append((real, info.st_size))
        except PathRefused as exc:
            out.append(exc)
    return out


def _checked(base: Path, relative: object, what: str, max_bytes: int, must_exist: bool,
             folders: dict | None) -> tuple:
    """(real path, ``os.stat`` result or None when it does not exist) of ``relative`` under the
    resolved root ``base``, or :class:`PathRefused`.  ``folders`` caches resolved folders."""
    def refuse(rule: str) -> PathRefused:
        return PathRefused(f"{what} {shown(relative)!r} refused: {rule}")

    if not isinstance(relative, str) or not relative.strip():
        raise PathRefused(f"{what} must be a non-empty text naming a file inside the package, "
                          f"not {shown(relative)!r}")
    if CONTROL.search(relative):
        raise refuse("it contains a control character")
    if SCHEME.match(relative) or relative.startswith("//"):
        raise refuse("a URL or drive path; name a file inside the package with a relative path such as data/x.csv")
    if "\\" in relative:
        raise refuse("a backslash; separate folders with /")
    if relative.startswith("/"):  # what PurePosixPath(relative).is_absolute() says
        raise refuse("an absolute path; name a file inside the package with a relative path such as data/x.csv")
    try:
        real, info, inside = _resolved(base, relative, folders)
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise refuse(f"it cannot be resolved ({exc.__class__.__name__})") from None
    if not (inside or real.is_relative_to(base)):
        raise refuse("it leads outside the package (after following .. and symbolic links)")
    try:
        info = info or os.stat(real)
    except FileNotFoundError:
        if must_exist:
            raise PathRefused(f"{what} {shown(relative)!r}: no such file in the package") from None
        return real, None
    except OSError as exc:
        raise refuse(f"it cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = ("a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a special file")
        raise refuse(f"it is {kind}, not a regular file")
    if info.st_size > max_bytes:
        raise refuse(f"it holds {info.st_size:,} bytes, more than the {max_bytes:,} allowed")
    return real, info


def _resolved(base: Path, relative: str, folders: dict | None) -> tuple:
    """``(base / relative).resolve()``, its ``stat`` when it was taken on the way (else None), and
    True when it is known to be inside ``base`` (else None: to be checked).

    With a ``folders`` cache, a path ``folder/name`` (no empty, ``.`` or ``..`` part) resolves its
    folder once and checks once that it is inside the root; its last part, when ``lstat`` says it is
    not a symbolic link, is then the real path (its ``lstat`` is its ``stat``), inside the root when
    its folder is.  Anything else is resolved in full, as ``Path.resolve`` does."""
    folder, _, name = relative.rpartition("/")
    plain = name not in ("", ".", "..") and not (folder and {"", ".", ".."} & set(folder.split("/")))
    if folders is None or not plain:
        return (base / relative).resolve(strict=False), None, None
    if folder not in folders:
        real_folder = (base / folder).resolve(strict=False) if folder else base
        folders[folder] = (real_folder, str(real_folder), real_folder.is_relative_to(base) or None)
    real_folder, text, inside = folders[folder]
    try:
        info = os.lstat(os.path.join(text, name))
    except FileNotFoundError:  # what resolve gives for a name that does not exist in a real folder
        return real_folder / name, None, inside
    except OSError:  # the folder is a file, or cannot be read: as resolve does, and os.stat says why
        return (base / relative).resolve(strict=False), None, None
    if stat.S_ISLNK(info.st_mode):
        return (real_folder / name).resolve(strict=False), None, None
    return real_folder / name, info, inside


def read_bytes(path: Path, max_bytes: int = MAX_META_BYTES) -> bytes:
    """Read a checked file, at most ``max_bytes`` (a file that grew since the check is refused)."""
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PathRefused(f"{shown(path)} refused: more than {max_bytes:,} bytes")
    return data


def protected(root: Path, extra: list[Path] = ()) -> list[Path]:
    base = Path(root).resolve()
    return [base / "datapackage.json", *(base / f for f in CORPUS_FOLDERS), *extra]


def output_path(root: Path, path: Path | str, what: str, extra: list[Path] = (), allow: tuple[str, ...] = ()) -> Path:
    """The real path an output may be written to, or :class:`PathRefused`.

    A relative path is taken relative to the package root.  Refused: the corpus (its
    descriptor, its folders and any file it names in ``extra``) and anything that exists but is
    neither a regular file nor a folder.
    """
    base = Path(root).resolve()
    given = Path(path)
    if CONTROL.search(str(given)):
        raise PathRefused(f"{what} {shown(given)!r} refused: it contains a control character")
    try:
        real = (given if given.is_absolute() else base / given).resolve(strict=False)
    except (OSError, RuntimeError) as exc:
        raise PathRefused(f"{what} {shown(given)!r} refused: it cannot be resolved ({exc.__class__.__name__})") from None
    allowed = {(base / name).resolve(strict=False) for name in allow}  # a generated file the command owns
    for corpus in protected(base, list(extra)) if real not in allowed else []:
        if real == corpus or real.is_relative_to(corpus) or corpus.is_relative_to(real):
            raise PathRefused(f"{what} {shown(given)!r} refused: it would write into the corpus "
                              f"({shown(os.path.relpath(corpus, base))}); write outputs to build/ or dist/")
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise PathRefused(f"{what} {shown(given)!r} refused: {exc.strerror}") from None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise PathRefused(f"{what} {shown(given)!r} refused: it exists and is not a regular file or a folder")
    return real
