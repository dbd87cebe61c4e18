# Step 1, the profile: one pass over the whole input, in chunks, that measures every column (how
# many values are missing and how they are spelled, how many distinct values, numbers' range,
# spread and outliers, dates' range) and counts exactly duplicated rows. It changes nothing; it
# writes /data/work/profile.json (for the later steps) and /data/output/profile.txt (for people).
# Memory is bounded whatever the file size: per column a few fixed-size sketches, per row 8 bytes.
TOP_VALUES = 10
COUNTER_CAP = 10000  # distinct values counted exactly per column before the rarest are dropped
SKETCH_SIZE = 4096  # the smallest value hashes kept for the distinct estimate (about 3% error)
RESERVOIR_SIZE = 50000  # numbers kept per column (a uniform sample) for the quartiles


class Column:
    def __init__(self, name, position, snapshot):
        self.name, self.position, self.snapshot = name, position, snapshot
        self.rows = self.missing = self.padded = 0
        self.markers = {}
        self.hashes = np.empty(0, dtype=np.uint64)
        self.hashes_full = False
        self.counts = ValueCounts(COUNTER_CAP)
        # Numbers: count, running mean and sum of squared deviations (Chan's merge), a sample.
        self.try_numbers = snapshot.get("type") not in ("date", "datetime", "boolean")
        self.numbers = self.not_numbers = 0
        self.low = self.high = None
        self.mean = self.m2 = 0.0
        self.sample = np.empty(0)
        self.sample_keys = np.empty(0)
        self.dates_low = self.dates_high = None
        self.dates_bad = 0

    def add(self, cells, hashes, rng):
        """One chunk of the column: its cells as text and their hashes (cell_hashes)."""
        self.rows += len(cells)
        stripped = strip(cells)
        missing = stripped.isin(MISSING_MARKERS)
        self.missing += int(missing.sum())
        for spelling, n in stripped[missing & (stripped != "")].value_counts().items():
            self.markers[spelling] = self.markers.get(spelling, 0) + int(n)
        values = stripped[~missing]
        if stripped is not cells:
            self.padded += int((cells[~missing] != values).sum())
        if values.empty:
            return
        self.add_distinct(hashes[~missing.to_numpy()])
        self.counts.add(values)
        if self.try_numbers:
            self.add_numbers(values, rng)
        if self.snapshot.get("date_format"):
            self.add_dates(values)

    def add_distinct(self, hashes):
        # K minimum values: keep the smallest SKETCH_SIZE distinct hashes; below that it is exact.
        # The hashes are of the values as written, so " Oslo" and "Oslo" count as two.
        merged = np.unique(np.concatenate([self.hashes, hashes]))
        self.hashes_full = self.hashes_full or len(merged) > SKETCH_SIZE
        self.hashes = merged[:SKETCH_SIZE]

    def distinct(self):
        if not self.hashes_full:
            return len(self.hashes), True
        return int((SKETCH_SIZE - 1) / (float(self.hashes[-1]) / 2.0**64)), False

    def add_numbers(self, values, rng):
        numbers = pd.to_numeric(values, errors="coerce")
        good = numbers.dropna().to_numpy(dtype=float)
        self.not_numbers += len(values) - len(good)
        if self.numbers == 0 and self.not_numbers > len(good):
            self.try_numbers = False  # mostly text: not a numeric column, stop paying for it
            return
        if len(good) == 0:
            return
        n, mean = len(good), float(good.mean())
        m2 = float(((good - mean) ** 2).sum())
        total = self.numbers + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.numbers * n / total
        self.numbers = total
        low, high = float(good.min()), float(good.max())
        self.low = low if self.low is None else min(self.low, low)
        self.high = high if self.high is None else max(self.high, high)
        # A uniform sample: every number gets a random key, the RESERVOIR_SIZE smallest keys stay.
        keys = np.concatenate([self.sample_keys, rng.random(n)])
        pool = np.concatenate([self.sample, good])
        if len(pool) > RESERVOIR_SIZE:
            keep = np.argpartition(keys, RESERVOIR_SIZE)[:RESERVOIR_SIZE]
            keys, pool = keys[keep], pool[keep]
        self.sample_keys, self.sample = keys, pool

    def add_dates(self, values):
        fmt = self.snapshot["date_format"]
        dates = pd.to_datetime(values, format=fmt, errors="coerce", utc="%z" in fmt)
        self.dates_bad += int(dates.isna().sum())
        dates = dates.dropna()
        if not dates.empty:
            low, high = dates.min(), dates.max()
            self.dates_low = low if self.dates_low is None else min(self.dates_low, low)
            self.dates_high = high if self.dates_high is None else max(self.dates_high, high)

    def report(self):
        distinct, exact = self.distinct()
        top = self.counts.top(TOP_VALUES)
        out = {
            "name": self.name, "position": self.position + 1, "snapshot_type": self.snapshot.get("type", "string"),
            "rows": self.rows, "missing": self.missing,
            "missing_percent": round(100.0 * self.missing / self.rows, 2) if self.rows else 0.0,
            "missing_markers": dict(sorted(self.markers.items(), key=lambda kv: -kv[1])),
            "padded_with_spaces": self.padded,
            "distinct": distinct, "distinct_is_estimate": not exact,
            "top_values": [[v[:200], n] for v, n in top], "top_values_exact": self.counts.exact,
        }
        if self.numbers and self.numbers >= self.not_numbers:
            q1, median, q3 = (float(q) for q in np.quantile(self.sample, [0.25, 0.5, 0.75]))
            spread = q3 - q1
            # Outliers by Tukey's rule, counted in the sample and scaled to the column (exact when
            # the column has no more numbers than the sample holds).
            outside = int(((self.sample < q1 - 1.5 * spread) | (self.sample > q3 + 1.5 * spread)).sum())
            out["numbers"] = {
                "count": self.numbers, "not_numbers": self.not_numbers, "min": self.low, "max": self.high,
                "mean": self.mean, "std": (self.m2 / (self.numbers - 1)) ** 0.5 if self.numbers > 1 else 0.0,
                "q1": q1, "median": median, "q3": q3,
                "outliers_iqr": round(outside * self.numbers / len(self.sample)),
                "outliers_estimated": self.numbers > len(self.sample),
            }
        if self.dates_low is not None:
            out["dates"] = {"min": self.dates_low.isoformat(), "max": self.dates_high.isoformat(),
                            "unreadable": self.dates_bad}
        return out


def describe(column):
    lines = [f"{column['position']}. {column['name']}  (snapshot type: {column['snapshot_type']})"]
    lines.append(f"   missing: {column['missing']} of {column['rows']} ({column['missing_percent']}%)")
    if column["missing_markers"]:
        spelled = ", ".join(f"'{k}' x{v}" for k, v in column["missing_markers"].items())
        lines.append(f"   missing values written as: {spelled}")
    if column["padded_with_spaces"]:
        lines.append(f"   values with spaces before or after: {column['padded_with_spaces']}")
    about = "about " if column["distinct_is_estimate"] else ""
    lines.append(f"   distinct values: {about}{column['distinct']}")
    if "numbers" in column:
        n = column["numbers"]
        lines.append(f"   numbers: min {n['min']:g}, max {n['max']:g}, mean {n['mean']:.6g}, std {n['std']:.4g}, "
                     f"median {n['median']:g} (quartiles {n['q1']:g} and {n['q3']:g})")
        if n["not_numbers"]:
            lines.append(f"   values that are not numbers: {n['not_numbers']}")
        about = "about " if n["outliers_estimated"] else ""
        lines.append(f"   outliers (beyond 1.5 x the interquartile range): {about}{n['outliers_iqr']}")
    if "dates" in column:
        d = column["dates"]
        lines.append(f"   dates from {d['min']} to {d['max']}; unreadable: {d['unreadable']}")
    if column["top_values"] and column["distinct"] <= 50:
        shown = ", ".join(f"{v} ({n})" for v, n in column["top_values"][:5])
        lines.append(f"   most common: {shown}")
    return "\n".join(lines)


def main():
    source = input_source()
    rng = np.random.default_rng(20260101)  # fixed: the same file gives the same profile
    columns, seen, rows = None, SeenRows(), 0
    # Rows equal in everything but the columns the snapshot took for identifiers (order numbers):
    # often the same record entered twice, which dropping exact duplicates cannot find.
    ids, seen_but_ids = CONFIG.get("id_columns", []), SeenRows()
    for number, chunk in enumerate(read_chunks(source), 1):
        if columns is None or len(chunk.columns) > len(columns):
            names = list(chunk.columns)
            types = column_types(names)
            known = columns or []
            columns = known + [Column(str(n), i, types[i]) for i, n in enumerate(names) if i >= len(known)]
            for late in columns[len(known):]:
                late.rows = rows  # a JSON key first seen now was missing in every earlier record
                late.missing = rows
        hashes = [cell_hashes(chunk[name]) for name in chunk.columns]
        for column, name, column_hashes in zip(columns, chunk.columns, hashes):
            column.add(chunk[name], column_hashes, rng)
        seen.first_seen(combine_hashes(hashes, len(chunk)))
        if ids and len(ids) < len(hashes):
            seen_but_ids.first_seen(combine_hashes([h for i, h in enumerate(hashes) if i not in ids], len(chunk)))
        rows += len(chunk)
        if number % 20 == 0:
            say(f"profiled {rows} rows")
    if columns is None:
        say("the input holds no records")
        columns = []
    report = {
        "input": source["path"], "rows": rows, "columns": [c.report() for c in columns],
        "duplicate_rows": rows - seen.count,
    }
    if ids and columns:
        report["duplicate_rows_except_ids"] = rows - seen_but_ids.count
        report["id_columns"] = [columns[i].name for i in ids if i < len(columns)]
    write_json("/data/work/profile.json", report)
    with open("/data/output/profile.txt", "w", encoding="utf-8") as out:
        out.write(f"Profile of {source['path']}\n")
        repeats, but_ids = report["duplicate_rows"], report.get("duplicate_rows_except_ids", 0)
        out.write(f"{count(rows, 'row')}, {count(len(columns), 'column')}, {count(repeats, 'row')} that exactly "
                  f"{'repeats' if repeats == 1 else 'repeat'} an earlier row\n")
        if "id_columns" in report:
            out.write(f"{count(but_ids, 'row')} {'repeats' if but_ids == 1 else 'repeat'} an earlier row in "
                      f"everything but {', '.join(report['id_columns'])} (the same record entered twice under a "
                      "new number?)\n")
        out.write("\n")
        out.write("\n\n".join(describe(c) for c in report["columns"]) + "\n")
    say(f"profiled {rows} rows and {len(columns)} columns; {report['duplicate_rows']} duplicate rows")
    say("wrote /data/work/profile.json and /data/output/profile.txt")


main()
