"""The byte scan of a CSV file (validate.filecheck.scan) against a byte-by-byte reading of the same rules.

The scan reads a file in blocks and looks at most blocks with whole-block counts only; these tests
cut small files into tiny blocks (so that quoted cells, empty lines and line ends fall across the
cuts) and compare every finding (rule, line, message, fatal) with a plain walk over the bytes.
"""

from __future__ import annotations

import csv

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizenv.validate import filecheck

BOM = b"\xef\xbb\xbf"


def reference(data: bytes, n_fields: int) -> list[tuple]:
    """What the scan must find, one byte at a time: a quote toggles "inside a quoted cell"; outside
    it, a comma separates cells and a line end ends a record, an empty one if the byte before it is
    a line end too (or it starts the file)."""
    if not data:
        return [("empty-file", 1, True)]
    if data.startswith(BOM):
        return [("byte-order-mark", 1, True)]
    if b"\r" in data:
        at = data.index(b"\r")
        kind = "Windows (CRLF) line ends" if data[at + 1:at + 2] == b"\n" else "a carriage return (CR)"
        line = data.count(b"\n", 0, at) + 1
        return [("crlf-line-ends", line, True, f"the file has {kind} at line {line}")]
    inside, commas, ends, blanks, blank_line, line, before = False, 0, 0, 0, None, 1, ord("\n")
    for byte in data:
        if byte == ord('"'):
            inside = not inside
        elif byte == ord(",") and not inside:
            commas += 1
        elif byte == ord("\n"):
            if not inside:
                ends += 1
                if before == ord("\n"):
                    blanks += 1
                    blank_line = blank_line or line
            line += 1
        before = byte
    found = []
    if blank_line:
        where = "the file ends with empty lines" if data.endswith(b"\n\n") else f"line {blank_line} is empty"
        found.append(("blank-row", blank_line, False, where))
    records = ends - blanks + (data[-1:] != b"\n")
    if not inside and records and commas != (n_fields - 1) * records:
        rows = csv.reader(data.decode("utf-8", "replace").splitlines(keepends=True))
        start = 1
        for row in rows:
            if len(row) > n_fields:  # the header line is named as the header
                found.append(("header-mismatch", 1, True, f"line 1, the header, has {len(row)} names") if start == 1
                             else ("extra-cell", start, True, f"line {start} has {len(row)} cells"))
                break
            start = rows.line_num + 1
    return found


def scanned(tmp_path, data: bytes, n_fields: int) -> list[tuple]:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    state = filecheck.scan(path, "t", "data/t.csv", n_fields)
    assert state.fatal == any(f.fatal for f in state.findings)
    return [(f.rule, f.line, f.fatal, f.message) for f in state.findings]


def same(found: list[tuple], expected: list[tuple]) -> bool:
    """Rule, line and fatal equal; the expected start of each message is its start."""
    return len(found) == len(expected) and all(
        f[:3] == e[:3] and (len(e) < 4 or f[3].startswith(e[3])) for f, e in zip(found, expected))


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of a few bytes, so that every case also falls across the cuts between them."""
    def use(chunk: int, block: int) -> None:
        monkeypatch.setattr(filecheck, "CHUNK", chunk)
        monkeypatch.setattr(filecheck, "BLOCK", block)
    return use


BYTES = st.lists(st.sampled_from([b"a", b"b", b",", b",", b'"', b"\n", b"\n", "办".encode(), b"\r"]), max_size=40)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=BYTES, header=st.booleans(), n_fields=st.integers(1, 4), sizes=st.sampled_from([(7, 3), (6, 6), (64, 16)]),
       bom=st.booleans())
def test_scan_agrees_with_a_byte_by_byte_reading(tmp_path, tiny_blocks, parts, header, n_fields, sizes, bom):
    data = (b"h1,h2,h3\n" if header else b"") + b"".join(parts)
    data = BOM + data if bom and data else data
    tiny_blocks(*sizes)
    found, expected = scanned(tmp_path, data, n_fields), reference(data, n_fields)
    assert same(found, expected), (data, found, expected)


HEAD = b"id,text,note\n"


@pytest.mark.parametrize("sizes", [(8 << 20, 1 << 20), (16, 4), (7, 7)])
@pytest.mark.parametrize("data,expected", [
    # what a count of the whole block could miss: a quoted cell holding commas, line ends or an empty line
    (HEAD + b'1,"a, b, c",x\n2,"two\n\nlines, with commas",y\n3,"say ""hi"", ok",z\n', []),
    (HEAD + b'1,"a,b",x\n2,b,y,\n', [("extra-cell", 3, True, "line 3 has 4 cells, the header has 3")]),
    # a block that lies wholly inside a quoted cell (no quote in it): its comma and line end are not counted,
    # else the cell's one line end without its two commas would hide the extra comma of the last row
    (HEAD + b'1,"aaaaaaaa\n,bbbbbbbb",x\n2,b,y,\n', [("extra-cell", 4, True, "line 4 has 4 cells, the header has 3")]),
    # an empty line only at the end, and one in the middle
    (HEAD + b"1,a,x\n2,b,y\n\n", [("blank-row", 4, False, "the file ends with empty lines")]),
    (HEAD + b"1,a,x\n\n2,b,y\n", [("blank-row", 3, False, "line 3 is empty")]),
    (b"\n" + HEAD + b"1,a,x\n", [("blank-row", 1, False, "line 1 is empty")]),
    # a trailing comma on the last line, with no line end after it
    (HEAD + b"1,a,x\n2,b,y,", [("extra-cell", 3, True, "line 3 has 4 cells, the header has 3")]),
    (HEAD + b'1,a,x\n2,"b",y,,', [("extra-cell", 3, True, "line 3 has 5 cells, the header has 3")]),
    # a line end right after a quoted cell that holds one
    (HEAD + b'1,a,"x\n"\n\n', [("blank-row", 4, False, "the file ends with empty lines")]),
    # a quote never closed: the line count cannot be trusted, DuckDB's reading names the line
    (HEAD + b'1,a,x\n\n2,"b,,,\n', [("blank-row", 3, False, "line 3 is empty")]),
    # a line that holds only a quoted cell is not empty (a cell is missing: DuckDB's reading says so)
    (HEAD + b'1,a,x\n"2"\n3,c,z\n', []),
    (HEAD + b'1,a,x\n"2,\n\n"\n', []),
])
def test_cases_a_count_could_miss(tmp_path, tiny_blocks, sizes, data, expected):
    tiny_blocks(*sizes)
    found = scanned(tmp_path, data, 3)
    assert same(found, expected), found
    assert same(found, reference(data, 3)), (found, reference(data, 3))


def test_crlf_across_the_end_of_a_read_is_named_crlf(tmp_path, tiny_blocks):
    tiny_blocks(16, 4)
    data = b"id,text,notes_x\r\n1,a,x\n"  # the CR is the last byte of the first read, its LF the next one's first
    assert data.index(b"\r") == 15
    [(rule, line, fatal, message)] = scanned(tmp_path, data, 3)
    assert (rule, line, fatal) == ("crlf-line-ends", 1, True) and "Windows (CRLF) line ends" in message


def test_empty_line_across_blocks_of_the_real_size(tmp_path):
    """Blocks of the size used on the corpus: an empty line whose two line ends fall in two blocks."""
    row = b"1,abcdefg,x\n"
    body = HEAD + row * ((filecheck.BLOCK - len(HEAD)) // len(row) - 1)
    body += b"2," + b"y" * (filecheck.BLOCK - len(body) - 5) + b",z\n"
    assert len(body) == filecheck.BLOCK and body.endswith(b"\n")
    data = body + b"\n" + row * 10
    line = body.count(b"\n") + 1
    assert scanned(tmp_path, data, 3) == [
        ("blank-row", line, False, f"line {line} is empty; remove empty lines (every line is a row)")]


def test_a_file_is_read_as_csv_only_after_its_own_scan_and_the_next_is_scanned_meanwhile(pkg, monkeypatch):
    """structure.check scans the files in a thread of their own while DuckDB reads: each file is read only
    once its own scan is done, and not at all when the scan finds a fatal problem; the findings keep
    the order of the tables."""
    import threading

    from bizenv import tables
    from bizenv.package import Package
    from bizenv.validate import structure

    package = Package.open(pkg)
    (pkg / package.relpath("units")).write_bytes(BOM + (pkg / package.relpath("units")).read_bytes())
    (pkg / package.relpath("tasks")).write_bytes((pkg / package.relpath("tasks")).read_bytes() + b"\n")
    done, events, scan, read_raw = set(), [], filecheck.scan, tables.read_raw

    def scanning(path, table, *args):
        state = scan(path, table, *args)
        done.add(table)
        events.append(("scan", table, threading.get_ident()))
        return state

    def reading(con, pkg_, name, extra=""):
        assert name in done, f"{name} read before its scan"
        events.append(("read", name, threading.get_ident()))
        return read_raw(con, pkg_, name, extra)

    monkeypatch.setattr(filecheck, "scan", scanning)
    monkeypatch.setattr("bizenv.validate.compiled.read_raw", reading)
    found = structure.check(package)
    read = [name for kind, name, _ in events if kind == "read"]
    assert "units" not in read and read == [n for n in package.table_names if n != "units"]
    assert {thread for kind, _, thread in events if kind == "scan"} != {threading.get_ident()}
    byte_rules = [(f.rule, f.table) for f in found if f.rule in ("byte-order-mark", "blank-row")]
    assert byte_rules == [("blank-row", "tasks"), ("byte-order-mark", "units")]


def test_the_scan_thread_is_shut_down_when_a_resource_path_is_refused(pkg, monkeypatch):
    """A resource path that the gate refuses when structure.check asks for it (its file replaced after the
    descriptor was checked) stops the check with that error, and leaves no thread of the check running."""
    import threading

    from bizenv.package import Package, PackageError
    from bizenv.validate import structure

    package = Package.open(pkg)
    assert package.problems == []
    path = Package.path

    def refused(self, table):
        if table == package.table_names[2]:
            raise PackageError(f'datapackage.json: resource "{table}" path refused')
        return path(self, table)

    monkeypatch.setattr(Package, "path", refused)
    before = set(threading.enumerate())
    with pytest.raises(PackageError, match="refused"):
        structure.check(package)
    assert [t.name for t in threading.enumerate() if t not in before and t.is_alive()] == []
