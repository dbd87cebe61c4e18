// Which planner a session gets: Gemini when a key is found (forwarded by the client, or in the
// user's keyring), else the offline builtin planner, and a note saying which and why, because a
// user must always know whether anything will leave the machine.
#pragma once

#include "daemon/llm/gemini.h"
#include "daemon/llm/planner.h"
#include "daemon/net/http.h"
#include "daemon/security/key_source.h"

#include <memory>
#include <optional>
#include <string>

namespace gdp::planner {

struct ChosenPlanner {
  std::unique_ptr<Planner> planner;
  // The Gemini planner reads the key from here at each request; dropping the last reference
  // wipes it (common/secret.h). Null for the builtin planner.
  std::shared_ptr<keys::SessionKey> key;
  std::string note;  // e.g. "gemini (gemini-3.5-flash), key from the persistent keyring"
  std::optional<std::string> rotation_warning;
};

struct PlannerChoice {
  GeminiConfig gemini;
  std::shared_ptr<net::HttpTransport> transport;  // HTTPS to the Gemini endpoint
  std::shared_ptr<RequestWindow> window;          // shared by every session: Google counts per key
  const keys::KeySource* keys = nullptr;
};

// `forwarded` is the client's GEMINI_API_KEY for this session, or empty; it is wiped in place.
// Throws RpcError(InvalidAPIKey) when the key found does not have a key's format.
ChosenPlanner choose_planner(const PlannerChoice& choice, std::string& forwarded);

}  // namespace gdp::planner
