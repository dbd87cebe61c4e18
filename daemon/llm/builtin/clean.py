# Step 2, the cleaning: one pass over the whole input, in chunks, that (each only if CONFIG's
# options say so) trims spaces around values, empties missing-value markers ("N/A", "null", "?"),
# writes numbers, dates and true/false in one standard form (dates as ISO 8601, YYYY-MM-DD), and
# drops rows that exactly repeat an earlier row after those changes. A value that cannot be read as
# its column's type is kept as it was and counted: the cleaning never loses data silently.
# It writes /data/work/cleaned.csv (for the next step), /data/output/processed_data.csv (the
# result) and /data/work/cleaning_report.json (every count). The input is never changed.
OPTIONS = CONFIG.get("options", {})
TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}


def json_columns(source):
    """A JSON input's columns, all of them, before anything is written: the CSV header must name
    columns that only later records have. The profile step lists them; without it, one pass."""
    try:
        with open("/data/work/profile.json", encoding="utf-8") as handle:
            profile = json.load(handle)
        if profile.get("input") == source["path"]:
            return [c["name"] for c in profile["columns"]]
    except (OSError, ValueError, KeyError):
        pass
    names = []
    for chunk in read_chunks(source):
        names = list(chunk.columns)
    return names


def standard_form(values, kind, fmt):
    """(new text for the values that can be read as `kind`, mask of the ones that cannot)."""
    if kind == "integer":
        numbers = pd.to_numeric(values, errors="coerce")
        readable = numbers.notna() & (numbers.abs() < 2.0**53)
        readable &= numbers[readable] == numbers[readable].round()
        readable = readable.fillna(False).astype(bool)
        # Plain digits stay as written (leading zeros of a code included); "+5", "5.0", "1e3" become 5.
        plain = values.str.fullmatch(r"-?[0-9]+")
        text = numbers[readable & ~plain].astype("int64").astype(str)
        return pd.concat([values[plain], text]).sort_index(), ~readable
    if kind == "float":
        numbers = pd.to_numeric(values, errors="coerce")
        readable = numbers.notna() & np.isfinite(numbers.astype(float))
        # Plain decimals stay as written (24.90 keeps its cents); "1e3", "+.5", "7." are rewritten.
        plain = values.str.fullmatch(r"-?[0-9]+(\.[0-9]+)?")
        text = numbers[readable & ~plain].astype(float).map(repr)
        return pd.concat([values[plain], text]).sort_index(), ~readable
    if kind in ("date", "datetime"):
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=fmt is not None and "%z" in fmt)
        readable = parsed.notna()
        if kind == "date":
            out = parsed[readable].dt.strftime("%Y-%m-%d")
        else:
            pattern = "%Y-%m-%dT%H:%M:%S" + (".%f" if ".%f" in (fmt or "") else "")
            out = parsed[readable].dt.strftime(pattern) + ("Z" if fmt and "%z" in fmt else "")
        return out, ~readable
    if kind == "boolean":
        lower = values.str.lower()
        readable = lower.isin(TRUE_WORDS | FALSE_WORDS)
        return lower[readable].isin(TRUE_WORDS).map({True: "true", False: "false"}), ~readable
    return values, pd.Series(False, index=values.index)


def clean_column(cells, snapshot, counts):
    stripped = strip(cells)
    if OPTIONS.get("trim", True):
        if stripped is not cells:
            counts["cells_trimmed"] += int((stripped != cells).sum())
        cells = stripped
    if OPTIONS.get("missing", True):
        marker = stripped.isin(MISSING_MARKERS) & (cells != "")
        counts["missing_markers_emptied"] += int(marker.sum())
        cells = cells.mask(marker, "")
    kind = snapshot.get("type", "string")
    if OPTIONS.get("types", True) and kind in ("integer", "float", "date", "datetime", "boolean"):
        stripped = strip(cells)
        present = (stripped != "") & ~stripped.isin(MISSING_MARKERS)
        values = stripped[present]
        if not values.empty:
            text, unreadable = standard_form(values, kind, snapshot.get("date_format"))
            changed = text != values[text.index]
            counts["converted"][snapshot["_name"]] = counts["converted"].get(snapshot["_name"], 0) + int(changed.sum())
            bad = int(unreadable.sum())
            if bad:
                counts["unreadable"][snapshot["_name"]] = counts["unreadable"].get(snapshot["_name"], 0) + bad
            if changed.any():
                # Only values whose standard form differs are touched: with trimming off, a padded
                # value that is already standard keeps its spaces.
                cells = cells.copy()
                cells.loc[changed.index[changed]] = text[changed]
    return cells


def main():
    source = input_source()
    names = json_columns(source) if source["format"] in ("json_lines", "json_document") else None
    counts = {"rows_read": 0, "rows_written": 0, "duplicates_dropped": 0, "cells_trimmed": 0,
              "missing_markers_emptied": 0, "converted": {}, "unreadable": {}}
    seen = SeenRows()
    with open("/data/work/cleaned.csv", "w", encoding="utf-8", newline="") as work, \
            open("/data/output/processed_data.csv", "w", encoding="utf-8", newline="") as output:
        first = True
        for number, chunk in enumerate(read_chunks(source), 1):
            if names is not None:
                chunk = chunk.reindex(columns=names, fill_value="")
            types = column_types(list(chunk.columns))
            counts["rows_read"] += len(chunk)
            cleaned = pd.DataFrame(index=chunk.index)
            for position, name in enumerate(chunk.columns):
                snapshot = dict(types[position], _name=str(name))
                cleaned[position] = clean_column(chunk[name], snapshot, counts)
            cleaned.columns = chunk.columns
            if OPTIONS.get("duplicates", True):
                keep = seen.first_seen(row_hashes(cleaned))
                counts["duplicates_dropped"] += int(len(cleaned) - keep.sum())
                cleaned = cleaned[keep]
            counts["rows_written"] += len(cleaned)
            for handle in (work, output):
                cleaned.to_csv(handle, header=first, index=False)
            first = False
            if number % 20 == 0:
                say(f"cleaned {counts['rows_read']} rows")
        if first and names:
            header = pd.DataFrame(columns=names)
            for handle in (work, output):
                header.to_csv(handle, index=False)
    counts["input"] = source["path"]
    counts["options"] = {k: bool(OPTIONS.get(k, True)) for k in ("trim", "missing", "types", "duplicates")}
    write_json("/data/work/cleaning_report.json", counts)
    say(f"read {counts['rows_read']} rows, wrote {counts['rows_written']}")
    say(f"duplicate rows dropped: {counts['duplicates_dropped']}")
    say(f"values trimmed of surrounding spaces: {counts['cells_trimmed']}")
    say(f"missing-value markers emptied: {counts['missing_markers_emptied']}")
    say(f"values rewritten in a standard form: {sum(counts['converted'].values())}")
    say(f"values kept as they were because they do not match their column's type: "
        f"{sum(counts['unreadable'].values())}")
    say("wrote /data/work/cleaned.csv, /data/output/processed_data.csv, /data/work/cleaning_report.json")


main()
