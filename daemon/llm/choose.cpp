#include "daemon/llm/choose.h"

#include "daemon/llm/builtin.h"

namespace gdp::planner {

ChosenPlanner choose_planner(const PlannerChoice& choice, std::string& forwarded) {
  ChosenPlanner out;
  auto key = std::make_shared<keys::SessionKey>(choice.keys->resolve(forwarded));
  if (key->origin == keys::KeyOrigin::none) {
    out.planner = std::make_unique<BuiltinPlanner>();
    out.note = "builtin (offline: " + key->source +
               "; nothing leaves this machine. Set GEMINI_API_KEY or run `gdp key set` to plan with Gemini)";
    return out;
  }
  out.rotation_warning = key->rotation_warning;
  out.note =
      "gemini (" + choice.gemini.model + " at " + choice.gemini.endpoint + "), key from " + key->source;
  // The planner sees the key only through this view, for the moment of each request.
  KeySource view = [key] { return key->key.view(); };
  out.planner =
      std::make_unique<GeminiPlanner>(choice.gemini, choice.transport, std::move(view), choice.window);
  out.key = std::move(key);
  return out;
}

}  // namespace gdp::planner
