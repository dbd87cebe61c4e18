#include "daemon/store/migrations.h"

#include <array>

namespace gdp::store {

namespace {

// Version 1. Texts that can be large (snapshots, analyses, scripts, results with their logs, the
// bytes sent to a planner) are BLOBs written by codec.h. Paths are relative to the project.
// Every child row cascades from its session, so evicting a session is one DELETE.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE sessions (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  id               TEXT NOT NULL UNIQUE,
  input_file       TEXT NOT NULL,
  input_sha256     TEXT NOT NULL,
  output_directory TEXT NOT NULL,
  planner          TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('active','completed','failed','cancelled','abandoned')),
  failure          TEXT,
  created_at       TEXT NOT NULL,
  last_accessed    TEXT NOT NULL
);
CREATE TABLE snapshots (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  body       BLOB NOT NULL
);
CREATE TABLE analyses (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  body       BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE scripts (
  session_id     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  step           INTEGER NOT NULL CHECK (step >= 1),
  version        INTEGER NOT NULL CHECK (version >= 1),
  origin         TEXT NOT NULL CHECK (origin IN ('planner','revision','edit')),
  body           BLOB NOT NULL,
  validation     BLOB,
  content_sha256 TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  PRIMARY KEY (session_id, step, version)
);
CREATE TABLE decisions (
  id             INTEGER PRIMARY KEY,
  session_id     TEXT NOT NULL,
  step           INTEGER NOT NULL,
  version        INTEGER NOT NULL,
  decision       TEXT NOT NULL CHECK (decision IN ('approve','deny','edit')),
  reason         TEXT,
  by_pid         INTEGER NOT NULL,
  by_tty         TEXT NOT NULL,
  decided_at     TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  FOREIGN KEY (session_id, step, version) REFERENCES scripts(session_id, step, version) ON DELETE CASCADE
);
CREATE INDEX decisions_by_step ON decisions(session_id, step);
CREATE TABLE results (
  session_id TEXT NOT NULL,
  step       INTEGER NOT NULL,
  version    INTEGER NOT NULL,
  body       BLOB NOT NULL,
  PRIMARY KEY (session_id, step),
  FOREIGN KEY (session_id, step, version) REFERENCES scripts(session_id, step, version) ON DELETE CASCADE
);
CREATE TABLE output_files (
  session_id TEXT NOT NULL,
  step       INTEGER NOT NULL,
  path       TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  size       INTEGER NOT NULL,
  PRIMARY KEY (session_id, step, path),
  FOREIGN KEY (session_id, step) REFERENCES results(session_id, step) ON DELETE CASCADE
);
CREATE TABLE checkpoints (
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  step       INTEGER NOT NULL,
  at         TEXT NOT NULL,
  PRIMARY KEY (session_id, step)
);
CREATE TABLE sent_requests (
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  method     TEXT NOT NULL,
  sent_at    TEXT NOT NULL,
  body       BLOB NOT NULL,
  PRIMARY KEY (session_id, seq)
);
)sql";

constexpr std::array<std::string_view, 1> kMigrations = {kV1};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

}  // namespace gdp::store
