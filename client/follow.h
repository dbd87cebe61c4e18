// Following a session from a terminal (gdp submit, attach, resume): its events as they happen, a
// progress line while it works, and the approval prompt when a step waits for a person, all while
// still listening to gdpd (another terminal may answer first).
#pragma once

#include "client/commands.h"
#include "client/rpc_client.h"

#include <optional>
#include <ostream>
#include <string>

namespace gdp::client {

struct FollowOptions {
  std::optional<std::string> project;
  bool quiet = false;
  bool verbose = false;
  bool confirm_restricted = false;  // approve restricted scripts without the second "yes"
};

// Attaches on `conn` and follows until the session finishes (kOk when completed, kDaemonError when
// failed or cancelled), the person detaches (kOk) or gdpd goes away (kDaemonError, with how to
// resume). Under --json, no prompt: one document with the events seen and the session at the end;
// `extra` is merged into it (submit's result, say).
int follow_session(const GlobalOptions& g, DaemonConnection& conn, const std::string& session_id,
                   const FollowOptions& options, boost::json::object extra = {});

inline constexpr const char* kEditorFailed =
    "the editor ($VISUAL, else $EDITOR, else vi) did not finish cleanly; nothing was sent. Check that "
    "it exits 0 when you save and quit (a GUI editor needs its wait flag, e.g. EDITOR='code --wait')";

// Opens the waiting script in the person's editor ($VISUAL, $EDITOR, else vi) in a private
// temporary file and, when it was changed, sends the new version. nullopt: nothing was sent,
// because the script is unchanged (`os` says so) or, with `editor_failed` set, because the editor
// did not finish cleanly (the caller says so: at the prompt it asks again, `gdp edit` fails).
std::optional<proto::EditResult> edit_in_editor(DaemonConnection& conn, const proto::SessionRef& ref,
                                                const proto::PendingApproval& pending, std::ostream& os,
                                                bool& editor_failed);
// What an edit came to: the new version, and when it is invalid, what is wrong and where.
void print_edit_result(std::ostream& os, const std::string& session_id, const proto::EditResult& r);

}  // namespace gdp::client
