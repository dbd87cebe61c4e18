# What the builtin planner's three steps share: reading the input in chunks whatever its format,
# telling a missing value from a real one, and remembering rows already seen in bounded memory.
# gdpd puts CONFIG (a JSON block filled from the snapshot) above this and the step's own code
# below it. Nothing here reads the network or writes outside /data/work and /data/output.
import json
import os
import re

import numpy as np
import pandas as pd

# The spellings files use for "no value". Ingest treats the first group as missing too, so the
# profile's null counts agree with the snapshot's; the second group ("?", "none") are markers people
# type that ingest keeps as text, and that are what make a column of numbers look like text.
MISSING_MARKERS = {
    "", "-", "NA", "N/A", "n/a", "NaN", "nan", "#NA", "null", "NULL", "Null", "None", "-NaN", "-nan",
    "#N/A", "<NA>", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN", "#N/A N/A",
    "?", "na", "none", "NONE", "n.a.", "N.A.", "--", "missing", "MISSING",
}
CHUNK_ROWS = int(CONFIG.get("chunk_rows", 50000))
# A JSON document (not JSON Lines) up to this size is read with the standard library in one go;
# a larger one is streamed element by element (see json_document_records).
WHOLE_JSON_BYTES = 16 << 20
JSON_BLOCK_CHARS = 4 << 20  # what the streaming JSON reader reads at a time


def say(*parts):
    print(*parts, flush=True)


def count(n, word):
    """'1 row', '2 rows': the reports are read by people."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def flatten(value, name, out):
    """A JSON record as ingest shows it: nested objects as dotted names, arrays as compact JSON."""
    if isinstance(value, dict):
        for key, inner in value.items():
            flatten(inner, f"{name}.{key}" if name else str(key), out)
    elif isinstance(value, list):
        out[name] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    elif value is None:
        out[name] = ""
    elif isinstance(value, bool):
        out[name] = "true" if value else "false"
    else:
        out[name] = str(value)


def record_fields(value):
    out = {}
    if isinstance(value, dict):
        flatten(value, "", out)
    else:
        flatten(value, "value", out)  # a bare value in place of a record: one column, "value"
    return out


def json_lines_records(handle):
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            yield record_fields(json.loads(line))
        except ValueError:
            say(f"line {number} is not valid JSON; it is skipped")


def json_document_records(handle, size, key):
    """The records of a JSON document: a top-level array's elements, the elements of the array
    member named `key`, or the document itself. A small file is parsed whole; a
    large one is decoded one element at a time from a sliding buffer, so memory holds one element
    and a few MiB of text, never the document."""
    if size <= WHOLE_JSON_BYTES:
        document = json.load(handle)
        if isinstance(document, dict) and key and isinstance(document.get(key), list):
            document = document[key]
        for element in document if isinstance(document, list) else [document]:
            yield record_fields(element)
        return
    decoder = json.JSONDecoder()
    state = {"text": "", "pos": 0, "eof": False}

    def more():
        block = handle.read(JSON_BLOCK_CHARS)
        state["text"] = state["text"][state["pos"]:] + block
        state["pos"] = 0
        state["eof"] = not block
        return bool(block)

    def skip_space():
        """The next non-blank character (it stays unread), or "" at the end of the file."""
        while True:
            text, pos = state["text"], state["pos"]
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            state["pos"] = pos
            if pos < len(text):
                return text[pos]
            if not more():
                return ""

    def value():
        while True:
            try:
                result, end = decoder.raw_decode(state["text"], state["pos"])
                # A number at the end of the buffer may continue in the next block.
                if end < len(state["text"]) or state["eof"]:
                    state["pos"] = end
                    return result
            except ValueError:
                if state["eof"]:
                    raise
            more()

    def expect(char):
        if skip_space() != char:
            raise ValueError(f"expected {char!r} in the JSON document")
        state["pos"] += 1

    def array_elements():
        expect("[")
        if skip_space() == "]":
            state["pos"] += 1
            return
        while True:
            skip_space()
            yield record_fields(value())
            following = skip_space()
            state["pos"] += 1
            if following == "]":
                return
            if following != ",":
                raise ValueError("expected ',' or ']' between the records of the JSON array")

    more()
    first = skip_space()
    if first == "[":
        yield from array_elements()
    elif first == "{" and key:
        expect("{")
        while skip_space() != "}":
            name = value()
            expect(":")
            skip_space()
            if name == key:
                yield from array_elements()
            else:
                value()  # another member (metadata): decoded and dropped
            if skip_space() == ",":
                state["pos"] += 1
    else:
        yield record_fields(value())


def record_chunks(records, columns):
    """DataFrames of CHUNK_ROWS string cells from dicts; `columns` grows as new keys appear, so
    every chunk has every column seen so far (absent keys are empty)."""
    batch = []
    for record in records:
        for name in record:
            if name not in columns:
                columns.append(name)
        batch.append(record)
        if len(batch) >= CHUNK_ROWS:
            yield pd.DataFrame.from_records(batch, columns=list(columns)).fillna("")
            batch = []
    if batch:
        yield pd.DataFrame.from_records(batch, columns=list(columns)).fillna("")


def read_chunks(source, positions=None):
    """Yields DataFrames of text cells (nothing parsed, nothing treated as missing yet), at most
    CHUNK_ROWS rows each, from `source`: {"path", "format", "delimiter", "header", "encoding",
    "records_key"}. Columns are named from the file's own header (or column_1...), never from
    the snapshot, whose names may be masked. `positions` (0-based, ascending) keeps only those
    columns; the CSV reader then does not even convert the others."""
    path, kind = source["path"], source["format"]
    encoding = "latin-1" if source.get("encoding") == "latin-1" else "utf-8-sig"
    if kind == "csv":
        header = source.get("header", True)
        reader = pd.read_csv(path, sep=source.get("delimiter", ","), header=0 if header else None,
                             dtype=str, keep_default_na=False, na_filter=False, chunksize=CHUNK_ROWS,
                             encoding=encoding, on_bad_lines="skip", skip_blank_lines=True, usecols=positions)
        for chunk in reader:
            if not header:
                chunk.columns = [f"column_{i + 1}" for i in (positions or range(chunk.shape[1]))]
            yield chunk.fillna("")
        return
    for chunk in records_as_chunks(path, kind, encoding, source.get("records_key", "")):
        yield chunk if positions is None else chunk.iloc[:, [i for i in positions if i < chunk.shape[1]]]


def records_as_chunks(path, kind, encoding, records_key):
    with open(path, encoding=encoding, errors="replace") as handle:
        if kind == "text":
            batch = []
            for line in handle:
                line = line.rstrip("\r\n")
                if line.strip():
                    batch.append(line)
                if len(batch) >= CHUNK_ROWS:
                    yield pd.DataFrame({"line": batch})
                    batch = []
            if batch:
                yield pd.DataFrame({"line": batch})
        elif kind == "json_lines":
            yield from record_chunks(json_lines_records(handle), [])
        else:
            yield from record_chunks(json_document_records(handle, os.path.getsize(path), records_key), [])


def column_types(names):
    """The snapshot's type for each column of the file: by position for CSV and text (the file's
    header may differ from the snapshot's masked names), by name for JSON. Unknown: "string"."""
    known = CONFIG["columns"]
    # With privacy.strict the snapshot lacks the sensitive columns, so positions only line up
    # when the counts agree; then names are all there is.
    if CONFIG["source"]["format"] in ("csv", "text") and len(names) == len(known):
        return known
    by_name = {c.get("name"): c for c in known}
    return [by_name.get(n, {"type": "string"}) for n in names]


# A value with whitespace at either end, in a column joined with NULs (see strip).
PADDED = re.compile(r"(?:^|\x00)\s|\s(?:\x00|$)")


def strip(cells):
    """The cells without surrounding whitespace. Stripping runs in Python per cell, so first one
    regex over the joined column (C speed) checks whether any cell needs it; most columns don't."""
    if cells.empty or PADDED.search("\x00".join(cells.tolist())) is None:
        return cells
    return cells.str.strip()


def cell_hashes(cells):
    """A 64-bit hash per cell: pandas' SipHash with a fixed key, so the same text always gets the
    same number, on every run."""
    return pd.util.hash_array(cells.to_numpy(dtype=object))


def combine_hashes(columns, rows):
    """One hash per row from its cells' hashes (multiply and xor, order-sensitive). Two different
    rows share one with odds of about n^2 / 2^65: for 20 million rows, 1 in 100,000 that one pair
    is taken for a duplicate."""
    combined = np.full(rows, 0x9E3779B97F4A7C15, dtype=np.uint64)
    for hashes in columns:
        combined = (combined * np.uint64(0x100000001B3)) ^ hashes
    return combined


def row_hashes(frame):
    return combine_hashes([cell_hashes(frame[c]) for c in frame.columns], len(frame))


class ValueCounts:
    """How often each value occurs, exact up to `cap` distinct values; past it the rarest half is
    dropped, so the most common values of a column with very many distinct ones are approximate
    (a value could fall below the cut in every chunk), and `exact` says so. Merged in pandas (a
    hash join per chunk), not value by value in Python."""

    def __init__(self, cap=10000):
        self.cap, self.counts, self.exact = cap, None, True

    def add(self, values):
        chunk = values.value_counts()
        self.counts = chunk if self.counts is None else self.counts.add(chunk, fill_value=0)
        if len(self.counts) > self.cap:
            self.counts = self.counts.nlargest(self.cap // 2)
            self.exact = False

    def __len__(self):
        return 0 if self.counts is None else len(self.counts)

    def top(self, n):
        """The n most common (value, count), ties in value order, so output does not depend on
        chunk boundaries."""
        if self.counts is None:
            return []
        candidates = self.counts.nlargest(n, keep="all")
        return sorted(((str(v), int(c)) for v, c in candidates.items()), key=lambda vc: (-vc[1], vc[0]))[:n]


class SeenRows:
    """Which row hashes were seen before, in 8 bytes per distinct row and no more. Hashes are kept
    as sorted numpy runs merged like a log-structured tree (a run is merged with the previous one
    while it is at least half its size), so there are about log2(rows / chunk) runs to search and
    the merging copies each hash log2(...) times in all. 20 million distinct rows: 160 MB, plus as
    much again for a moment during the biggest merge."""

    def __init__(self):
        self.runs = []
        self.count = 0

    def first_seen(self, hashes):
        """A boolean mask: True for the rows whose hash was not seen before (nor earlier in this
        batch); those hashes are remembered."""
        keep = np.zeros(len(hashes), dtype=bool)
        if len(hashes) == 0:
            return keep
        unique, first = np.unique(hashes, return_index=True)
        fresh = np.ones(len(unique), dtype=bool)
        for run in self.runs:
            pos = np.searchsorted(run, unique)
            pos[pos == len(run)] = 0
            fresh &= run[pos] != unique
        keep[first[fresh]] = True
        new_run = unique[fresh]
        self.count += len(new_run)
        if len(new_run):
            self.runs.append(new_run)
            while len(self.runs) > 1 and len(self.runs[-1]) * 2 >= len(self.runs[-2]):
                # Sorted in place (introsort needs no buffer), after the two runs are let go: the
                # biggest merge holds twice the hashes for a moment, not three times.
                merged = np.concatenate([self.runs.pop(), self.runs.pop()])
                merged.sort()
                self.runs.append(merged)
        return keep


def input_source():
    return CONFIG["source"]


def write_json(path, document):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False, default=str)
        handle.write("\n")
