#include "daemon/session/results.h"

#include "common/errors.h"
#include "common/wire.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

namespace gdp::session {

namespace json = boost::json;

namespace {

constexpr std::size_t kSlugMax = 40;

std::string slugify(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 && u < 0x80) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.size() > kSlugMax) {
    out.resize(kSlugMax);
    while (!out.empty() && out.back() == '_') out.pop_back();
  }
  return out;
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

[[noreturn]] void cannot_write(const fs::path& path, const std::string& why) {
  throw RpcError(ErrorCode::FileSystem, "cannot write the results to " + path.string() + ": " + why +
                                            "; check the output folder's permissions and free space");
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) cannot_write(path, "the write failed");
}

std::string local_stamp(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  std::array<char, 32> buffer{};
  return {buffer.data(), std::strftime(buffer.data(), buffer.size(), "%Y%m%d-%H%M%S", &tm)};
}

// Everything known about one step, gathered from the store's lists.
struct StepView {
  std::int64_t step = 0;
  std::vector<const store::ScriptVersion*> versions;
  std::vector<const store::DecisionRecord*> decisions;
  const store::StepResult* result = nullptr;

  // The version that ran, else the newest one proposed.
  const store::ScriptVersion& script() const {
    if (result != nullptr) {
      for (const auto* v : versions) {
        if (v->version == result->version) return *v;
      }
    }
    return *versions.back();
  }
};

std::map<std::int64_t, StepView> gather(const SessionHistory& h) {
  std::map<std::int64_t, StepView> steps;
  for (const auto& v : h.scripts) {
    steps[v.step].step = v.step;
    steps[v.step].versions.push_back(&v);
  }
  for (const auto& d : h.decisions) {
    if (steps.count(d.step) != 0U) steps[d.step].decisions.push_back(&d);
  }
  for (const auto& r : h.results) {
    if (steps.count(r.step) != 0U) steps[r.step].result = &r;
  }
  return steps;
}

// The main output: processed_data.csv of the last step that wrote one, else its last CSV.
std::optional<fs::path> main_output(const SessionHistory& h) {
  for (auto r = h.results.rbegin(); r != h.results.rend(); ++r) {
    if (!r->result.success) continue;
    std::optional<fs::path> last_csv;
    for (const auto& f : r->files) {
      const fs::path p(f.path);
      if (p.filename() == "processed_data.csv") return h.session_dir / p;
      if (p.extension() == ".csv") last_csv = h.session_dir / p;
    }
    if (last_csv) return last_csv;
  }
  return std::nullopt;
}

json::object step_summary(const StepView& s, int width) {
  const auto& v = s.script();
  json::object out{{"step", s.step},
                   {"name", step_slug(v.script)},
                   {"script_id", v.script.script_id},
                   {"description", v.script.description},
                   {"versions", static_cast<std::int64_t>(s.versions.size())},
                   {"content_sha256", v.content_sha256}};
  json::array decisions;
  for (const auto* d : s.decisions) {
    json::object one{{"decision", wire::to_json(d->decision)},
                     {"version", d->version},
                     {"decided_at", d->decided_at},
                     {"by", json::object{{"pid", d->by.pid}, {"tty", d->by.tty}}}};
    if (d->reason) one["reason"] = *d->reason;
    decisions.push_back(std::move(one));
  }
  out["decisions"] = std::move(decisions);
  out["ran"] = s.result != nullptr;
  if (s.result != nullptr) {
    const auto& r = s.result->result;
    out["script_file"] = script_file_name(s.step, v.script, width);
    out["success"] = r.success;
    out["exit_code"] = r.exit_code ? json::value(*r.exit_code) : json::value(nullptr);
    out["execution_time"] = r.execution_time;
    out["resource_usage"] = wire::to_json(r.resource_usage);
    if (r.error_message) out["error"] = *r.error_message;
    json::array files;
    for (const auto& f : s.result->files) {
      files.push_back(json::object{{"path", f.path}, {"sha256", f.sha256}, {"size", f.size}});
    }
    out["output_files"] = std::move(files);
  }
  return out;
}

std::string execution_log(const SessionHistory& h, const std::map<std::int64_t, StepView>& steps) {
  std::ostringstream log;
  log << "gdp session " << h.session.session_id << "\ninput: " << h.session.input_relative << " (sha256 "
      << h.session.input_sha256 << ")\nplanner: " << h.session.planner
      << "\nstarted: " << h.session.created_at
      << "\nstatus: " << boost::describe::enum_to_string(h.session.status, "?") << "\n";
  if (h.session.failure) log << "failure: " << *h.session.failure << "\n";
  for (const auto& [n, s] : steps) {
    const auto& v = s.script();
    log << "\n== step " << n << ": " << step_slug(v.script) << " ==\n" << v.script.description << "\n";
    for (const auto* d : s.decisions) {
      log << d->decided_at << "  " << boost::describe::enum_to_string(d->decision, "?") << " of version "
          << d->version << " by pid " << d->by.pid << (d->by.tty.empty() ? "" : " on " + d->by.tty);
      if (d->reason) log << ": " << *d->reason;
      log << "\n";
    }
    if (s.result == nullptr) {
      log << "not run\n";
      continue;
    }
    const auto& r = s.result->result;
    log << (r.success ? "succeeded" : "failed") << " in " << r.execution_time << " s";
    if (r.exit_code) log << ", exit code " << *r.exit_code;
    log << "\n";
    if (r.error_message) log << "error: " << *r.error_message << "\n";
    if (r.output_data && !r.output_data->empty()) log << "--- stdout ---\n" << *r.output_data << "\n";
    if (!r.logs.empty()) log << "--- stderr ---\n" << r.logs << "\n";
  }
  return log.str();
}

}  // namespace

std::string step_slug(const proto::ProcessingScript& script) {
  std::string slug = slugify(script.script_id);
  for (const std::string_view prefix : {"builtin_", "step_"}) {
    if (slug.rfind(prefix, 0) == 0) slug.erase(0, prefix.size());
  }
  // "step_07_ab12cd34" from the Gemini planner: the number and the hash say nothing.
  while (!slug.empty() && std::isdigit(static_cast<unsigned char>(slug.front())) != 0) slug.erase(0, 1);
  if (!slug.empty() && slug.front() == '_') slug.erase(0, 1);
  if (const auto cut = slug.rfind('_'); cut != std::string::npos && slug.size() - cut - 1 >= 6 &&
                                        is_hex(std::string_view(slug).substr(cut + 1))) {
    slug.resize(cut);
  } else if (slug.size() >= 6 && is_hex(slug)) {
    slug.clear();
  }
  if (slug.empty()) {
    std::istringstream words(script.description);
    std::string phrase, word;
    for (int i = 0; i < 4 && words >> word; ++i) phrase += word + " ";
    slug = slugify(phrase);
  }
  return slug.empty() ? "step" : slug;
}

std::string script_file_name(std::int64_t step, const proto::ProcessingScript& script, int width) {
  std::string number = std::to_string(step);
  if (static_cast<int>(number.size()) < width) {
    number.insert(0, static_cast<std::size_t>(width) - number.size(), '0');
  }
  return number + "_" + step_slug(script) + ".py";
}

fs::path write_results(const SessionHistory& h, const fs::path& output_root,
                       std::chrono::system_clock::time_point finished) {
  std::error_code ec;
  fs::create_directories(output_root, ec);
  if (ec) cannot_write(output_root, ec.message());
  const std::string base = local_stamp(finished) + "_results";
  fs::path target = output_root / base;
  for (int n = 2; fs::exists(target); ++n) target = output_root / (base + "_" + std::to_string(n));
  // Built beside its final place and renamed at the end: a crash never leaves half a folder
  // with a results name.
  const fs::path partial = output_root / ("." + target.filename().string() + ".partial");
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  if (ec) cannot_write(partial, ec.message());

  const auto steps = gather(h);
  const std::int64_t last = steps.empty() ? 0 : steps.rbegin()->first;
  const int width = std::max<int>(2, static_cast<int>(std::to_string(last).size()));

  // What the steps wrote to /data/output first, so our own files win a name clash.
  const fs::path outputs = h.session_dir / "output";
  if (fs::is_directory(outputs, ec)) {
    fs::copy(outputs, partial, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    if (ec) cannot_write(partial, "copying the steps' output: " + ec.message());
  }
  for (const auto& [n, s] : steps) {
    if (s.result != nullptr) {
      write_file(partial / script_file_name(n, s.script().script, width), s.script().script.content);
    }
  }
  const auto main = main_output(h);
  if (main) {
    fs::copy_file(*main, partial / "processed_data.csv", fs::copy_options::overwrite_existing, ec);
    if (ec) cannot_write(partial / "processed_data.csv", ec.message());
  }

  json::array step_list;
  for (const auto& [n, s] : steps) step_list.push_back(step_summary(s, width));
  std::int64_t ran = 0, succeeded = 0;
  double seconds = 0;
  for (const auto& r : h.results) {
    ++ran;
    succeeded += r.result.success ? 1 : 0;
    seconds += r.result.execution_time;
  }
  json::object summary{
      {"session_id", h.session.session_id},
      {"input_file", h.session.input_relative},
      {"input_sha256", h.session.input_sha256},
      {"planner", h.session.planner},
      {"status", wire::to_json(h.session.status)},
      {"created_at", h.session.created_at},
      {"processed_data", main ? json::value("processed_data.csv") : json::value(nullptr)},
      {"totals", json::object{{"steps_proposed", static_cast<std::int64_t>(steps.size())},
                              {"steps_run", ran},
                              {"steps_succeeded", succeeded},
                              {"execution_seconds", seconds}}},
      {"steps", std::move(step_list)},
      {"findings", h.analysis ? wire::to_json(*h.analysis) : json::value(nullptr)},
  };
  if (h.session.failure) summary["failure"] = *h.session.failure;
  write_file(partial / "processing_summary.json", json::serialize(summary) + "\n");
  write_file(partial / "execution_log.txt", execution_log(h, steps));

  fs::rename(partial, target, ec);
  if (ec) cannot_write(target, ec.message());
  return target;
}

}  // namespace gdp::session
