#!/usr/bin/python3
"""Contract checker for the gdp wire protocol.

The protocol is written down twice: once as data in proto-schema/ (protocol.schema.json,
index.json, golden examples) and once as C++ (common/protocol.h, daemon/rpc/). This script
exists to keep the two from drifting apart:

  examples  the schema is a valid draft 2020-12 schema, index.json agrees with it, and every
            golden example validates against the $def the index names for it (the C++ tests
            round-trip the same examples through the C++ types).
  live      starts a real gdpd in a throw-away directory and checks that what it actually
            sends on the wire (results, errors, the shutdown event) validates against the schema
            (every method but the session family's, which need a session; see LIVE_SKIPPED_FAMILIES).

Usage:
  check_schema.py [--schema-dir DIR] examples
  check_schema.py [--schema-dir DIR] live --gdpd PATH

Prints one PASS/FAIL line per check and a final "N passed, N failed" line; exits 1 on any failure.
Needs only the standard library and python3-jsonschema (>= 4.10, Draft202012Validator).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import jsonschema

DEFAULT_SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto-schema")

# Fields a writer may omit: everything else in an object $def must be listed in `required`.
OPTIONAL_FIELDS = {("Request", "params"), ("InvalidParamsErrorData", "field")}

# Method families the live check does not call. The session family works on sessions: its golden
# requests name sessions a throw-away daemon has never seen, and submit would start one that plans
# and runs scripts. Examples mode still checks every one of their examples against the schema.
LIVE_SKIPPED_FAMILIES = {"session"}


# ---------------------------------------------------------------- reporting

class Report:
    """Counts checks and prints one line per check."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, problems):
        """Record a check; `problems` is a list of strings, empty when the check passed."""
        if problems:
            self.failed += 1
            print(f"FAIL  {name}")
            for p in problems[:5]:
                print(f"        {p}")
            if len(problems) > 5:
                print(f"        ... and {len(problems) - 5} more")
        else:
            self.passed += 1
            print(f"PASS  {name}")

    def run(self, name, fn, *args):
        """Run fn(*args) -> problems as a check; an exception counts as a failure."""
        try:
            problems = fn(*args)
        except Exception as e:  # a check must never abort the whole run
            problems = [f"{type(e).__name__}: {e}"]
        self.check(name, problems)

    def skip(self, name, why):
        """A check deliberately not made: printed, not counted."""
        print(f"SKIP  {name} ({why})")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


# ---------------------------------------------------------------- the contract

class Contract:
    """protocol.schema.json + index.json, with validators for each $def."""

    def __init__(self, schema_dir):
        self.dir = schema_dir
        self.schema = load_json(os.path.join(schema_dir, "protocol.schema.json"))
        self.index = load_json(os.path.join(schema_dir, "index.json"))
        self.defs = self.schema.get("$defs", {})
        self._validators = {}

    def problems(self, instance, def_name):
        """Validation errors of `instance` against #/$defs/def_name, as readable strings."""
        if def_name not in self.defs:
            return [f"schema has no $defs/{def_name}"]
        if def_name not in self._validators:
            # The root schema plus a $ref keeps every local "#/$defs/..." ref resolvable.
            root = dict(self.schema, **{"$ref": f"#/$defs/{def_name}"})
            self._validators[def_name] = jsonschema.Draft202012Validator(root)
        errors = sorted(self._validators[def_name].iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [f"{def_name} {json_path(e.absolute_path)}: {e.message}" for e in errors]

    def error_code(self, kind):
        return next((e["code"] for e in self.index["errors"] if e["kind"] == kind), None)


def load_json(path, whole_floats=None):
    """Parse a JSON file; if whole_floats is a list, collect floats like 3.0 or 3E0 into it."""
    def parse_float(text):
        value = float(text)
        if whole_floats is not None and value.is_integer():
            whole_floats.append(text)
        return value
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=parse_float)


def json_path(path):
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def walk(node):
    """Yield every dict inside a JSON value."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


# ---------------------------------------------------------------- examples mode

def check_schema_is_valid(c):
    jsonschema.Draft202012Validator.check_schema(c.schema)
    problems = []
    if c.schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        problems.append("$schema is not draft 2020-12")
    if c.schema.get("$id") != "urn:gdp:protocol:1":
        problems.append("$id is not urn:gdp:protocol:1")
    return problems


def check_schema_refs(c):
    refs = {n["$ref"] for n in walk(c.schema) if isinstance(n.get("$ref"), str)}
    return [f"unresolved $ref {r}" for r in sorted(refs)
            if not r.startswith("#/$defs/") or r[len("#/$defs/"):] not in c.defs]


def check_schema_conventions(c):
    problems = []
    for name, d in c.defs.items():
        if not d.get("description"):
            problems.append(f"$defs/{name} has no description")
        if d.get("additionalProperties") is False:
            problems.append(f"$defs/{name} sets additionalProperties false (readers must be tolerant)")
        fields = set(d.get("properties", {}))
        missing = fields - set(d.get("required", [])) - {f for n, f in OPTIONAL_FIELDS if n == name}
        if missing:
            problems.append(f"$defs/{name} does not require {sorted(missing)} (writers emit every field)")
    return problems


def check_index_names(c):
    idx = c.index
    names = [m[k] for m in idx["methods"].values() for k in ("params", "result")]
    names += [e["params"] for e in idx["events"].values()] + list(idx["models"])
    return [f"index names $defs/{n}, which does not exist" for n in names if n not in c.defs]


def check_error_table(c):
    rows = c.index["errors"]
    problems = []
    for key in ("code", "name", "kind"):
        values = [r[key] for r in rows]
        dupes = sorted({v for v in values if values.count(v) > 1}, key=str)
        if dupes:
            problems.append(f"duplicate error {key}s in index: {dupes}")
    if [r["code"] for r in rows] != c.defs.get("ErrorCode", {}).get("enum"):
        problems.append("index error codes differ from $defs/ErrorCode.enum")
    if [r["kind"] for r in rows] != c.defs.get("ErrorKind", {}).get("enum"):
        problems.append("index error kinds differ from $defs/ErrorKind.enum")
    # ErrorObject pairs each code with its kind via if/then; the pairs must match the table.
    pairs = {}
    for rule in c.defs.get("ErrorObject", {}).get("allOf", []):
        try:
            code = rule["if"]["properties"]["code"]["const"]
            pairs[code] = rule["then"]["properties"]["data"]["properties"]["kind"]["const"]
        except (KeyError, TypeError):
            problems.append(f"unexpected rule in ErrorObject.allOf: {rule}")
    if pairs != {r["code"]: r["kind"] for r in rows}:
        problems.append("ErrorObject code->kind rules differ from the index error table")
    return problems


def example_problems(c, entry):
    """Load one indexed example and validate it against the $defs its index entry names."""
    # Whole-valued floats (89.0) are fine: the C++ round trip compares parsed values, and a float
    # column's sample values are doubles however they are written.
    doc = load_json(os.path.join(c.dir, entry["file"]))
    problems = []
    message = entry.get("message")
    if "model" in entry:
        return problems + c.problems(doc, entry["model"])
    if message == "request":
        method = c.index["methods"][entry["method"]]
        problems += c.problems(doc, "Request") + c.problems(doc.get("params", {}), method["params"])
        if doc.get("method") != entry["method"]:
            problems.append(f"method is {doc.get('method')!r}, index says {entry['method']!r}")
    elif message == "response":
        method = c.index["methods"][entry["method"]]
        problems += c.problems(doc, "Response") + c.problems(doc.get("result"), method["result"])
    elif message == "error":
        problems += c.problems(doc, "ErrorResponse")
        kind = doc.get("error", {}).get("data", {}).get("kind")
        if "kind" in entry and kind != entry["kind"]:
            problems.append(f"error kind is {kind!r}, index says {entry['kind']!r}")
    elif message == "event":
        event = c.index["events"][entry["event"]]
        problems += c.problems(doc, "Notification") + c.problems(doc.get("params"), event["params"])
        if doc.get("method") != entry["event"]:
            problems.append(f"method is {doc.get('method')!r}, index says {entry['event']!r}")
    else:
        problems.append(f"index entry has neither a known message type nor a model: {entry}")
    return problems


def check_examples_listed(c):
    listed = {os.path.normpath(e["file"]) for e in c.index["examples"]}
    root = os.path.join(c.dir, "examples")
    on_disk = {os.path.normpath(os.path.relpath(os.path.join(d, f), c.dir))
               for d, _, files in os.walk(root) for f in files}
    return [f"{f} is not listed in index.json" for f in sorted(on_disk - listed)]


def check_coverage(c):
    have = {(e.get("message"), e.get("method") or e.get("event") or e.get("model")) for e in c.index["examples"]}
    have |= {("model", e["model"]) for e in c.index["examples"] if "model" in e}
    want = [(kind, m) for m in c.index["methods"] for kind in ("request", "response")]
    want += [("event", e) for e in c.index["events"]] + [("model", m) for m in c.index["models"]]
    problems = [f"no {kind} example for {name}" for kind, name in want if (kind, name) not in have]
    if not any(e.get("message") == "error" for e in c.index["examples"]):
        problems.append("no error example")
    return problems


def run_examples(c, report):
    report.run("schema is a valid draft 2020-12 schema", check_schema_is_valid, c)
    report.run("schema $refs resolve", check_schema_refs, c)
    report.run("schema conventions (description, required = all fields, tolerant)", check_schema_conventions, c)
    report.run("index names existing $defs", check_index_names, c)
    report.run("index error table matches ErrorCode/ErrorKind/ErrorObject", check_error_table, c)
    for entry in c.index["examples"]:
        report.run(entry["file"], example_problems, c, entry)
    report.run("every example file is listed in index.json", check_examples_listed, c)
    report.run("every method, event and model has examples", check_coverage, c)


# ---------------------------------------------------------------- live mode

class ConnectionClosed(Exception):
    pass


class Connection:
    """A client connection: one JSON message per line in each direction."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")
        self.next_id = 1

    def send_raw(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def send(self, message):
        self.send_raw(json.dumps(message, separators=(",", ":")))

    def recv(self):
        line = self.reader.readline()
        if not line:
            raise ConnectionClosed("daemon closed the connection")
        try:
            return json.loads(line)
        except ValueError:
            raise ValueError(f"reply is not one JSON document: {line[:200]!r}") from None

    def request(self, method, params=None):
        """Send a request (params None = absent) and return (id, reply)."""
        rid, self.next_id = self.next_id, self.next_id + 1
        message = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return rid, self.recv()

    def close(self):
        self.reader.close()
        self.sock.close()


class Daemon:
    """gdpd running in the foreground inside a private temporary directory."""

    def __init__(self, binary, workdir):
        self.socket = os.path.join(workdir, "gdpd.sock")
        self.stderr_path = os.path.join(workdir, "gdpd.stderr")
        cmd = [binary, "--foreground", "--socket", self.socket, "--state-dir", os.path.join(workdir, "state")]
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err)

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return [f"gdpd exited with status {self.proc.returncode} before accepting connections"]
            try:
                Connection(self.socket, timeout=1.0).close()
                return []
            except OSError:
                time.sleep(0.05)
        return [f"socket {self.socket} did not accept connections within {timeout:.0f} s"]

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def expect_result(c, rid, reply, result_def):
    problems = c.problems(reply, "Response") + c.problems(reply.get("result"), result_def)
    if reply.get("id") != rid:
        problems.append(f"reply id {reply.get('id')!r}, expected {rid!r}")
    return problems


def expect_error(c, rid, reply, code):
    problems = c.problems(reply, "ErrorResponse")
    got = reply.get("error", {}).get("code") if isinstance(reply.get("error"), dict) else None
    if got != code:
        problems.append(f"error.code {got!r}, expected {code}")
    if reply.get("id") != rid:
        problems.append(f"reply id {reply.get('id')!r}, expected {rid!r}")
    return problems


def expect_live(c, name, request, method):
    rid, reply = request
    # The sandbox family needs a Docker Engine; where none answers, its documented error is the
    # right reply and is checked as one.
    if method["family"] == "sandbox" and isinstance(reply.get("error"), dict):
        return expect_error(c, rid, reply, 4000)
    return expect_result(c, rid, reply, method["result"])


def live_checks(c, daemon, report):
    golden = load_json(os.path.join(c.dir, "examples", "hello.request.json"))["params"]
    methods = c.index["methods"]
    conn = Connection(daemon.socket)
    # Every method (but those of LIVE_SKIPPED_FAMILIES) is called with its golden request's params;
    # a "path" among them (or in their "source") is pointed at a small CSV written here, since the
    # golden one names a file on someone else's machine.
    data_file = os.path.join(os.path.dirname(daemon.socket), "orders.csv")
    with open(data_file, "w", encoding="utf-8") as f:
        f.write("id,when,amount\n" + "".join(f"{i},2026-01-{i % 28 + 1:02d},{i * 1.5}\n" for i in range(1, 251)))

    for name in methods:
        if methods[name]["family"] in LIVE_SKIPPED_FAMILIES:
            report.skip(f"live {name}", f"{methods[name]['family']} family: needs a session of its own")
            continue
        params = load_json(os.path.join(c.dir, "examples", f"{name}.request.json")).get("params", {})
        if isinstance(params, dict) and "path" in params:
            params = dict(params, path=data_file)
        if isinstance(params, dict) and isinstance(params.get("source"), dict):
            params = dict(params, source=dict(params["source"], path=data_file))
        report.run(f"live {name}", lambda n=name, p=params: expect_live(c, n, conn.request(n, p), methods[n]))

    report.run("live unknown method -> -32601",
               lambda: expect_error(c, *conn.request("no.such.method", {}), -32601))

    def wrong_params():
        rid = conn.next_id
        conn.next_id += 1
        conn.send({"jsonrpc": "2.0", "id": rid, "method": "ping", "params": 5})
        return expect_error(c, rid, conn.recv(), -32602)
    report.run("live params of the wrong type -> -32602", wrong_params)

    def malformed():
        conn.send_raw('{"jsonrpc":')
        return expect_error(c, None, conn.recv(), -32700)
    report.run("live malformed JSON -> -32700 (id null)", malformed)
    report.run("live connection stays open after ParseError",
               lambda: expect_result(c, *conn.request("ping", {}), methods["ping"]["result"]))

    def before_hello():
        fresh = Connection(daemon.socket)
        try:
            return expect_error(c, *fresh.request("ping", {}), c.error_code("HandshakeRequiredError"))
        finally:
            fresh.close()
    report.run("live request before hello -> 1000", before_hello)

    def version_mismatch():
        fresh = Connection(daemon.socket)
        try:
            rid, reply = fresh.request("hello", dict(golden, protocol_versions=[99]))
        finally:
            fresh.close()
        problems = expect_error(c, rid, reply, c.error_code("ProtocolVersionMismatchError"))
        data = reply.get("error", {}).get("data", {})
        if data.get("client_versions") != [99]:
            problems.append(f"data.client_versions {data.get('client_versions')!r}, expected [99]")
        if c.index["protocol_version"] not in (data.get("daemon_versions") or []):
            problems.append(f"data.daemon_versions {data.get('daemon_versions')!r} lacks {c.index['protocol_version']}")
        return problems
    report.run("live hello with protocol_versions [99] -> 1001", version_mismatch)

    if daemon.proc.poll() is not None:
        report.check("live daemon still running before SIGTERM", [f"gdpd exited early with status {daemon.proc.returncode}"])
        return
    live_shutdown(c, daemon, conn, report)


def live_shutdown(c, daemon, conn, report):
    """SIGTERM: a connected client gets daemon.shutting_down, then gdpd exits 0."""
    event = "daemon.shutting_down"
    daemon.proc.send_signal(signal.SIGTERM)

    def notified():
        conn.sock.settimeout(10.0)
        while True:
            message = conn.recv()
            if isinstance(message, dict) and message.get("method") == event:
                return c.problems(message, "Notification") + c.problems(message.get("params"), c.index["events"][event]["params"])
    report.run(f"live SIGTERM -> {event} notification", notified)

    def exits_cleanly():
        try:
            status = daemon.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return ["gdpd still running 10 s after SIGTERM"]
        return [] if status == 0 else [f"gdpd exited with status {status}"]
    report.run("live gdpd exits 0 within 10 s of SIGTERM", exits_cleanly)
    conn.close()


def run_live(c, gdpd, report):
    if not (os.path.isfile(gdpd) and os.access(gdpd, os.X_OK)):
        report.check("gdpd binary exists", [f"{gdpd} is missing or not executable; build the daemon first"])
        return
    workdir = tempfile.mkdtemp(prefix="gdp-contract-")  # mode 0700
    daemon = Daemon(gdpd, workdir)
    failed_before = report.failed
    try:
        problems = daemon.wait_ready()
        report.check("gdpd starts and accepts connections", problems)
        if not problems:
            try:
                live_checks(c, daemon, report)
            except Exception as e:  # e.g. the first connection could not be opened
                report.check("live checks ran to completion", [f"{type(e).__name__}: {e}"])
        if report.failed > failed_before:  # died early or misbehaved: show what it said
            print("---- gdpd stderr ----")
            print(daemon.stderr().rstrip())
            print("---------------------")
    finally:
        daemon.kill()
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schema-dir", default=DEFAULT_SCHEMA_DIR, help="directory holding protocol.schema.json")
    modes = parser.add_subparsers(dest="mode", required=True)
    modes.add_parser("examples", help="check the schema, index.json and the golden examples")
    live = modes.add_parser("live", help="check a running gdpd against the schema")
    live.add_argument("--gdpd", required=True, help="path to the gdpd binary")
    args = parser.parse_args(argv)

    report = Report()
    try:
        contract = Contract(args.schema_dir)
    except (OSError, ValueError) as e:
        report.check("load protocol.schema.json and index.json", [str(e)])
        return report.finish()
    if args.mode == "examples":
        run_examples(contract, report)
    else:
        run_live(contract, args.gdpd, report)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
