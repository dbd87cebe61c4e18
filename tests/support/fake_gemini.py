#!/usr/bin/env python3
"""The test suite's stand-in for Google's Gemini API, and a CONNECT proxy (standard library only).

  fake_gemini.py serve --dir DIR --fixtures DIR --key KEY [--wrong-host]
  fake_gemini.py proxy --dir DIR [--auth USER:PASSWORD] [--deny STATUS]

Both listen on 127.0.0.1, on a port the kernel picks, and print "PORT <n>" once ready. tests/support/
fake_gemini.h drives them from C++; docs/development.md says how to use that.

serve mints a CA and two leaf certificates into DIR with the openssl command (ca.pem; server.pem for
127.0.0.1 and localhost; wrong.pem for wrong-host.invalid, served with --wrong-host) and speaks
Gemini's REST API over HTTPS as docs/reference protocols.md part 2 describes it:

  POST /v1beta/models/{model}:generateContent   GET /v1beta/models   GET /v1beta/models/{model}

Every request must carry x-goog-api-key (or ?key=) equal to --key: none is 403 PERMISSION_DENIED, a
wrong one 400 INVALID_ARGUMENT with reason API_KEY_INVALID. Unknown models are 404 NOT_FOUND.

The test controls the answers through DIR/queue.jsonl, one JSON object per line, appended whole.
A request takes the first unused line whose "for" matches it ("generateContent", the default;
"models"; or "any"). A line says what to answer with one of
  {"fixture": "NAME"}            the bytes of FIXTURES/NAME.json, status "status" (default 200)
  {"text": "..."}                a finished (STOP) answer whose one part has this text
  {"status": N, "body": "..."}   anything at all
  {"fault": "NAME"}              one of FAULTS below
and may add "delay_ms" (wait before the headers), "chunked" (send the body in chunks) and
"truncate" (promise more than is sent, then close). With the queue used up, generateContent
answers by the response schema the request asks for, as the planner's requests do: a schema with
a "done" property gets FIXTURES/script_response.json (the next step), one with a "content" property
FIXTURES/revised_script_response.json (a revision), anything else FIXTURES/analysis_response.json.

Every request is recorded, before it is answered, as one line of DIR/requests.jsonl: method, path,
query, headers (as sent, in order), body_file (the exact body bytes, under DIR/bodies/) and
monotonic_ns (CLOCK_MONOTONIC, the clock of C++'s steady_clock on Linux). Nothing but files
controls the fake, so no URL the product could reach by mistake does.

proxy tunnels CONNECT requests to wherever they ask and records each in DIR/proxy.jsonl (target and
the Proxy-Authorization header); with --auth it answers 407 to any other credentials, with --deny it
answers every CONNECT with that status.
"""

import argparse
import base64
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# name -> what the queue line stands for. Error bodies have the shapes Google sends (protocols.md 2.8).
FAULTS = {
    "api_key_invalid": {"status": 400, "fixture": "error_api_key_invalid"},
    "rate_limit": {"status": 429, "fixture": "error_rate_limit"},  # RetryInfo retryDelay "2s"
    "quota_per_day": {"status": 429, "fixture": "error_quota_per_day"},  # quotaId ...PerDay...
    "internal": {"status": 500, "fixture": "error_internal"},
    "unavailable": {"status": 503, "fixture": "error_unavailable"},
    # Google's front end answers some errors with HTML, not JSON.
    "html_error": {"status": 502, "body": "<!DOCTYPE html><html><body><h1>502.</h1> That's an error.</body></html>",
                   "content_type": "text/html; charset=UTF-8"},
    "truncated": {"fixture": "analysis_response", "truncate": True},
    "malformed_body": {"body": '{"candidates": [{"content": {"parts": [{"text": "{\\"data_qual'},
    "malformed_text": {"text": '{"data_quality_issues": ["unterminated'},
    "max_tokens": {"fixture": "max_tokens_response"},
    "blocked": {"fixture": "blocked_response"},
    "model_not_found": {"status": 404, "fixture": "error_model_not_found"},
}


def log(message):
    print(message, file=sys.stderr, flush=True)


def mint_certificates(directory):
    """A CA and two leaves signed by it; EC keys, because they take no time to generate."""

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=gdp test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, san in (("server", "IP:127.0.0.1,DNS:localhost"), ("wrong", "DNS:wrong-host.invalid")):
        openssl("req", "-new", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        with open(os.path.join(directory, name + ".ext"), "w") as ext:
            ext.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                      "extendedKeyUsage=serverAuth\nsubjectAltName=" + san + "\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem")



def default_fixture(request):
    """The fixture whose model text follows the responseSchema the request asks for."""
    config = request.get("generationConfig") if isinstance(request, dict) else None
    schema = config.get("responseSchema") if isinstance(config, dict) else None
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if isinstance(properties, dict) and "done" in properties:
        return "script_response"
    if isinstance(properties, dict) and "content" in properties:
        return "revised_script_response"
    return "analysis_response"

class Queue:
    """DIR/queue.jsonl, read again at every request so a test can push while the server runs."""

    def __init__(self, path):
        self.path = path
        self.used = set()
        self.lock = threading.Lock()

    def take(self, scope):
        with self.lock:
            try:
                with open(self.path, encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                return None
            # Only whole lines: the test may be half-way through appending one.
            for index, line in enumerate(text.split("\n")[:-1]):
                if index in self.used or not line.strip():
                    continue
                entry = json.loads(line)
                if entry.get("for", "generateContent") in (scope, "any"):
                    self.used.add(index)
                    return entry
            return None


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()
        os.makedirs(os.path.join(directory, "bodies"), exist_ok=True)

    def record(self, handler, body):
        with self.lock:
            self.count += 1
            body_file = "bodies/%d.bin" % self.count
            with open(os.path.join(self.directory, body_file), "wb") as f:
                f.write(body)
            url = urllib.parse.urlsplit(handler.path)
            entry = {"seq": self.count, "method": handler.command, "path": url.path, "query": url.query,
                     "headers": [[k, v] for k, v in handler.headers.items()], "body_file": body_file,
                     "monotonic_ns": time.monotonic_ns()}
            with open(os.path.join(self.directory, "requests.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")


class GeminiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-gemini"

    def setup(self):
        # TLS per connection, in this connection's thread: a client that never finishes its
        # handshake holds up no one else.
        self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        log("fake-gemini: " + format % args)

    def do_GET(self):
        self.handle_api()

    def do_POST(self):
        self.handle_api()

    def handle_api(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        self.server.recorder.record(self, body)
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)

        if path == "/v1beta/models" and self.command == "GET":
            scope, model = "models", None
        elif path.startswith("/v1beta/models/") and path.endswith(":generateContent") and self.command == "POST":
            scope, model = "generateContent", path[len("/v1beta/models/"):-len(":generateContent")]
        elif path.startswith("/v1beta/models/") and ":" not in path and self.command == "GET":
            scope, model = "models", path[len("/v1beta/models/"):]
        else:
            return self.answer({"status": 404, "body": json.dumps({"error": {
                "code": 404, "status": "NOT_FOUND", "message": "The fake Gemini has no %s %s" % (self.command, path)}})})

        key = self.headers.get("x-goog-api-key") or (query.get("key") or [None])[0]
        if key is None:
            return self.answer({"status": 403, "fixture": "error_no_api_key"})
        if key != self.server.key:
            return self.answer(FAULTS["api_key_invalid"])
        if model is not None and model not in self.server.models:
            return self.answer(FAULTS["model_not_found"], model=model)

        if scope == "generateContent":
            try:
                request = json.loads(body)
                if not isinstance(request, dict) or not isinstance(request.get("contents"), list):
                    raise ValueError("'contents' must be a list")
            except ValueError as e:
                detail = str(e).replace('"', "'")
                return self.answer({"status": 400, "fixture": "error_invalid_request"}, detail=detail)

        entry = self.server.queue.take(scope)
        if entry is None and scope == "generateContent":
            entry = {"fixture": default_fixture(request)}
        elif entry is None and model is None:
            entry = {"fixture": "models"}
        elif entry is None:
            entry = {"body": json.dumps(self.server.models[model])}
        self.answer(entry, model=model or "")

    def answer(self, entry, model="", detail=""):
        if "fault" in entry:
            entry = {**FAULTS[entry["fault"]], **{k: v for k, v in entry.items() if k != "fault"}}
        delay_ms = entry.get("delay_ms", 0)
        if delay_ms:
            time.sleep(delay_ms / 1000)
        content_type = entry.get("content_type", "application/json; charset=UTF-8")
        if "fixture" in entry:
            with open(os.path.join(self.server.fixtures, entry["fixture"] + ".json"), "rb") as f:
                body = f.read().replace(b"{model}", model.encode()).replace(b"{detail}", detail.encode())
        elif "text" in entry:
            body = json.dumps({"candidates": [{"content": {"role": "model", "parts": [{"text": entry["text"]}]},
                                               "finishReason": "STOP", "index": 0}],
                               "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10,
                                                 "totalTokenCount": 20},
                               "modelVersion": "gemini-3.5-flash", "responseId": "fake-text"}).encode()
        else:
            body = entry.get("body", "").encode()
        truncate = entry.get("truncate", False)
        self.send_response(entry.get("status", 200))
        self.send_header("Content-Type", content_type)
        if entry.get("chunked"):
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body) + (100 if truncate else 0)))
        self.end_headers()
        if entry.get("chunked"):
            third = max(1, len(body) // 3)
            for start in range(0, len(body), third):
                piece = body[start:start + third]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            if not truncate:
                self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body[:len(body) // 2] if truncate else body)
        self.wfile.flush()
        if truncate:
            # Closing without TLS close_notify, as a dropped connection would.
            self.close_connection = True


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-proxy"

    def log_message(self, format, *args):  # noqa: A002
        log("fake-proxy: " + format % args)

    def do_CONNECT(self):
        self.close_connection = True
        authorization = self.headers.get("Proxy-Authorization")
        with self.server.lock:
            with open(os.path.join(self.server.directory, "proxy.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps({"target": self.path, "authorization": authorization}) + "\n")
        if self.server.deny:
            self.send_error(self.server.deny)
            return
        if self.server.auth is not None:
            expected = "Basic " + base64.b64encode(self.server.auth.encode()).decode()
            if authorization != expected:
                self.send_response(407, "Proxy Authentication Required")
                self.send_header("Proxy-Authenticate", 'Basic realm="fake"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except OSError as e:
            self.send_error(502, "cannot reach %s: %s" % (self.path, e))
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        with upstream:
            relay(self.connection, upstream)

    def do_GET(self):
        self.send_error(405, "this proxy only tunnels (CONNECT)")


def relay(a, b):
    while True:
        readable, _, _ = select.select([a, b], [], [], 60)
        if not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (b if source is a else a).sendall(data)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that time out or reject the certificate are what several tests are about.
        log("fake: connection from %s ended: %r" % (client_address[0], sys.exc_info()[1]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["serve", "proxy"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fixtures")
    parser.add_argument("--key")
    parser.add_argument("--wrong-host", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--deny", type=int, default=0)
    args = parser.parse_args()

    if args.mode == "serve":
        mint_certificates(args.dir)
        server = Server(("127.0.0.1", 0), GeminiHandler)
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf = "wrong" if args.wrong_host else "server"
        server.tls.load_cert_chain(os.path.join(args.dir, leaf + ".pem"), os.path.join(args.dir, leaf + ".key"))
        server.key = args.key
        server.fixtures = args.fixtures
        with open(os.path.join(args.fixtures, "models.json"), encoding="utf-8") as f:
            server.models = {m["name"][len("models/"):]: m for m in json.load(f)["models"]}
        server.queue = Queue(os.path.join(args.dir, "queue.jsonl"))
        server.recorder = Recorder(args.dir)
    else:
        server = Server(("127.0.0.1", 0), ProxyHandler)
        server.directory = args.dir
        server.auth = args.auth
        server.deny = args.deny
        server.lock = threading.Lock()
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
