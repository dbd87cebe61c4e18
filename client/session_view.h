// How gdp shows sessions to a person: pure functions from the wire types to text on a stream, with
// no other I/O, so that what a person is asked to approve can be checked by tests (Property 7).
// Everything the daemon sends is shown with control characters made visible (tabs excepted): a
// script or a message must not be able to move the cursor or hide a line of what is approved.
// A Look (client/style.h) adds colour and wrapping for a terminal; the default Look prints exactly
// the plain text, so colour never changes what a script or a pipe reads.
#pragma once

#include "client/style.h"
#include "common/protocol.h"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::client::view {

// Text from the daemon, safe to print: control characters (but tab, and newline when the text may
// span lines) become ^X, DEL ^?.
std::string visible(std::string_view text, bool multiline = false);
// One line of a script as shown: its number right-aligned in four columns, two spaces, the line.
std::string numbered_line(std::size_t number, std::string_view line);
// The whole script, every line numbered from 1; a final newline does not make an extra line.
// In colour, Python is highlighted (client/highlight.h); lines are never cut or wrapped.
void script_lines(std::ostream& os, std::string_view content, const Look& look = {});
// Reads, writes, packages and estimated run time of a script.
void script_facts(std::ostream& os, const proto::ProcessingScript& s);
void analysis(std::ostream& os, const proto::DataAnalysis& a);
// The masked snapshot's shape: rows, columns and their types.
void snapshot_shape(std::ostream& os, const proto::DataSnapshot& s);
// Syntax errors as the validator gives them (line and column inside), warnings, fixes, level.
void validation(std::ostream& os, const proto::ValidationResult& v, const Look& look = {});

// Everything a person needs to decide on a waiting step (Property 7).
void approval(std::ostream& os, const proto::PendingApproval& p, const Look& look = {});

// The style of a session status: completed ok, failed error, active heading, the rest warn.
Role status_role(proto::SessionStatus s);

// "approved step 2 (version 1) from pid 4242 on /dev/pts/3"
std::string decision_line(const proto::DecisionInfo& d, const Look& look = {});
// "step 2 succeeded in 3.1 s, peak memory 41 MB" or "... failed ...: why"
std::string result_line(std::int64_t step, const proto::ExecutionResult& r);
// One readable line for an event; with `full_time`, the event's whole timestamp, else its clock time.
std::string event_line(const proto::SessionEvent& e, bool full_time, const Look& look = {});
// What --verbose adds under an event line (a step's output and logs), indented; may be nothing.
void event_detail(std::ostream& os, const proto::SessionEvent& e);

// The table of steps; with a width, its last column is cut to fit (…).
void steps(std::ostream& os, const std::vector<proto::StepView>& steps, const Look& look = {});
void session(std::ostream& os, const proto::SessionView& s, const Look& look = {});
// Every version of one step (line-numbered, with its validation) and every decision on it.
void step_versions(std::ostream& os, const std::vector<proto::ScriptVersionView>& versions,
                   const std::vector<proto::DecisionInfo>& decisions, const Look& look = {});
// What went to a remote planner: each request's number, method and time, then its body verbatim.
void sent_requests(std::ostream& os, const std::vector<proto::SentRequestView>& sent);

// "45s", "3m 05s", "2h 10m"
std::string duration(std::int64_t seconds);

}  // namespace gdp::client::view
