# Step 3, the summary: key figures and charts of the data, in two passes over it in chunks. The
# first counts missing values, numbers' range and mean, the most common values and the rows per
# month of a date column; the second, over the chosen numeric columns only, fills histograms whose
# bins the first pass fixed. It writes PNG charts (at most MAX_CHARTS) and /data/output/summary.md.
# It reads CONFIG["reads"]: the cleaned file when the cleaning ran, else the input; never changes it.
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)

MAX_HISTOGRAMS = 6
MAX_BAR_CHARTS = 4
MAX_CHARTS = 12
BINS = 30
COUNTER_CAP = 10000  # distinct values counted per column before the rarest are dropped


class Column:
    def __init__(self, name, position, snapshot):
        self.name, self.position, self.snapshot = name, position, snapshot
        self.rows = self.missing = 0
        self.numbers = self.not_numbers = 0
        self.low = self.high = None
        self.mean = 0.0
        self.counts = ValueCounts(COUNTER_CAP)
        self.months = {}
        self.histogram = None

    @property
    def numeric(self):
        return self.numbers > 0 and self.numbers >= 9 * self.not_numbers

    def add(self, cells):
        self.rows += len(cells)
        stripped = strip(cells)
        missing = stripped.isin(MISSING_MARKERS)
        self.missing += int(missing.sum())
        values = stripped[~missing]
        if values.empty:
            return
        kind = self.snapshot.get("type")
        if kind not in ("date", "datetime", "boolean") and (self.numbers or not self.not_numbers):
            # A text column is tried for numbers until a chunk shows it is mostly not numbers.
            numbers = pd.to_numeric(values, errors="coerce").dropna().astype(float)
            numbers = numbers[np.isfinite(numbers)]
            self.not_numbers += len(values) - len(numbers)
            if len(numbers) and not (self.numbers == 0 and self.not_numbers > len(numbers)):
                total = self.numbers + len(numbers)
                self.mean += (float(numbers.mean()) - self.mean) * len(numbers) / total
                self.numbers = total
                low, high = float(numbers.min()), float(numbers.max())
                self.low = low if self.low is None else min(self.low, low)
                self.high = high if self.high is None else max(self.high, high)
        else:
            self.not_numbers += len(values)
        if kind not in ("integer", "float"):
            self.counts.add(values)
        if kind in ("date", "datetime"):
            # The raw input holds the snapshot's format; the cleaned file holds ISO 8601 dates.
            dates = pd.to_datetime(values, format=self.snapshot.get("date_format"), errors="coerce", utc=True)
            if dates.isna().all():
                dates = pd.to_datetime(values, errors="coerce", utc=True)
            for month, n in dates.dropna().dt.strftime("%Y-%m").value_counts().items():
                self.months[month] = self.months.get(month, 0) + int(n)

    def add_to_histogram(self, cells):
        numbers = pd.to_numeric(strip(cells), errors="coerce").dropna().to_numpy(dtype=float)
        counts, _ = np.histogram(numbers, bins=self.edges)
        self.histogram = counts if self.histogram is None else self.histogram + counts

    def top(self, n):
        return self.counts.top(n)


def file_name(kind, column):
    safe = re.sub(r"[^A-Za-z0-9]+", "_", column.name).strip("_")[:40] or "column"
    return f"{kind}_{column.position + 1:02d}_{safe}.png"


def save(figure, name, charts):
    figure.tight_layout()
    figure.savefig(f"/data/output/{name}", dpi=100)
    plt.close(figure)
    charts.append(name)


def draw(columns, rows, charts):
    with_missing = [c for c in columns if c.missing]
    if columns:
        figure, axes = plt.subplots(figsize=(8, max(2.5, 0.35 * len(columns[:40]) + 1)))
        shown = columns[:40]
        axes.barh([c.name[:30] for c in shown][::-1],
                  [100.0 * c.missing / rows if rows else 0 for c in shown][::-1], color="#c44e52")
        axes.set_xlabel("missing values (% of rows)")
        axes.set_title("Missing values per column" + ("" if with_missing else " (none)"))
        save(figure, "missing_values.png", charts)
    for column in [c for c in columns if c.histogram is not None]:
        figure, axes = plt.subplots(figsize=(7, 4))
        axes.bar(column.edges[:-1], column.histogram, width=np.diff(column.edges), align="edge",
                 color="#4c72b0", edgecolor="white")
        axes.set_title(f"{column.name}: distribution of values")
        axes.set_xlabel(column.name)
        axes.set_ylabel("rows")
        save(figure, file_name("histogram", column), charts)
    bars = 0
    for column in columns:
        top = column.top(10)
        if bars >= MAX_BAR_CHARTS or len(charts) >= MAX_CHARTS or column.numeric or len(top) < 2:
            continue
        if len(column.counts) * 2 > column.rows - column.missing or column.months:
            continue  # mostly different values (names, identifiers) or dates: bars would say nothing
        figure, axes = plt.subplots(figsize=(7, 4))
        axes.barh([str(v)[:30] for v, _ in top][::-1], [n for _, n in top][::-1], color="#55a868")
        axes.set_title(f"{column.name}: most common values")
        axes.set_xlabel("rows")
        save(figure, file_name("top", column), charts)
        bars += 1
    for column in columns:
        if column.months and len(charts) < MAX_CHARTS:
            months = sorted(column.months.items())
            figure, axes = plt.subplots(figsize=(8, 4))
            axes.bar([m for m, _ in months], [n for _, n in months], color="#8172b2")
            axes.set_title(f"{column.name}: rows per month")
            axes.tick_params(axis="x", labelrotation=90 if len(months) > 12 else 0)
            save(figure, file_name("per_month", column), charts)
            break


def figures(column):
    if column.numeric:
        return f"numbers from {column.low:g} to {column.high:g}, mean {column.mean:.6g}"
    top = column.top(3)
    if not top:
        return "no values"
    if top[0][1] < 2:
        return "every value different"
    return "most common: " + ", ".join(f"{str(v)[:30]} ({n})" for v, n in top)


def earlier(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def main():
    source = CONFIG["reads"]
    columns, rows = None, 0
    for chunk in read_chunks(source):
        if columns is None or len(chunk.columns) > len(columns):
            types = column_types(list(chunk.columns))
            known = columns or []
            columns = known + [Column(str(n), i, types[i]) for i, n in enumerate(chunk.columns) if i >= len(known)]
            for late in columns[len(known):]:
                late.rows = late.missing = rows
        for column, name in zip(columns, chunk.columns):
            column.add(chunk[name])
        rows += len(chunk)
    columns = columns or []
    say(f"first pass: {rows} rows, {len(columns)} columns")

    ids = CONFIG.get("id_columns", [])
    plotted = [c for c in columns if c.numeric and c.high > c.low and c.position not in ids][:MAX_HISTOGRAMS]
    for column in plotted:
        column.edges = np.linspace(column.low, column.high, BINS + 1)
    if plotted:
        positions = [c.position for c in plotted]
        for chunk in read_chunks(source, positions):
            for column, name in zip(plotted, chunk.columns):
                column.add_to_histogram(chunk[name])
        say(f"second pass: histograms of {len(plotted)} columns")

    charts = []
    if CONFIG.get("options", {}).get("charts", True):
        draw(columns, rows, charts)
    lines = [f"# Summary of {CONFIG['source']['path']}", ""]
    if source is not CONFIG["source"] and source["path"] != CONFIG["source"]["path"]:
        lines.append(f"Figures are from the cleaned file ({source['path']}).")
    cleaning = earlier("/data/work/cleaning_report.json")
    if cleaning and source["path"] != CONFIG["source"]["path"]:
        lines.append(f"The cleaning read {cleaning['rows_read']} rows and kept {cleaning['rows_written']}: "
                     f"{count(cleaning['duplicates_dropped'], 'duplicate row')} dropped, "
                     f"{count(cleaning['missing_markers_emptied'], 'missing-value marker')} emptied, "
                     f"{count(cleaning['cells_trimmed'], 'value')} trimmed of spaces.")
    profile = earlier("/data/work/profile.json")
    if profile and "duplicate_rows_except_ids" in profile:
        n = profile["duplicate_rows_except_ids"]
        lines.append(f"{count(n, 'row')} of the input {'repeats' if n == 1 else 'repeat'} another in everything but "
                     f"{', '.join(profile['id_columns'])}: check whether they are the same record entered twice.")
    lines += ["", f"**{count(rows, 'row')}, {count(len(columns), 'column')}.**", "",
              "| # | column | missing | key figures |", "|---|---|---|---|"]
    for c in columns:
        share = f"{c.missing} ({100.0 * c.missing / rows:.1f}%)" if rows else "0"
        cell = figures(c).replace("|", "\\|")
        lines.append(f"| {c.position + 1} | {c.name.replace('|', '/')} | {share} | {cell} |")
    if charts:
        lines += ["", "## Charts", ""]
        lines += [f"![{name}]({name})" for name in charts]
    with open("/data/output/summary.md", "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    say(f"wrote /data/output/summary.md and {len(charts)} charts: {', '.join(charts)}")


main()
