// The seed's Property 10 against the real Docker Engine: "for any series of processing scripts,
// they should execute in the correct order with each script having access to the outputs of
// previously executed scripts." A case is a random series of 1 to 6 small scripts run in order in
// one warm session container (the path approved steps take). Step k reads the files of a random
// subset of the earlier steps and checks their exact content, lists /data/work and checks that it
// holds the earlier steps' files and nothing of a later one, checks a shared log of the order so
// far, then writes step_k.txt (naming what it read, so the contents chain from step to step),
// maybe step_k.csv, and appends k to the log. A script that sees anything else exits non-zero; the
// test also compares each step's stdout and the files on the host with what the plan predicts.
//
// The checks are a function that returns what went wrong, so a second test can show they catch a
// wrong order, a missing output and a file from a step that has not run.
#include "daemon/sandbox/warm.h"
#include "tests/integration/sandbox/sandbox_fixture.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace gdp;
using namespace gdp::sandbox;
using gdp::sandbox::test::engine;
using gdp::sandbox::test::small_caps;
namespace fs = std::filesystem;

namespace {

struct PlannedStep {
  std::vector<int> reads;  // earlier steps (1-based) whose outputs this one opens
  bool csv = false;        // also writes step_k.csv
  std::string nonce;       // makes each step's output its own
};

using Plan = std::vector<PlannedStep>;

// Ways to break what Property 10 promises, from the host, to show the checks notice.
enum class Sabotage {
  none,
  swap_first_two,     // step 2's script runs before step 1's
  delete_an_output,   // step 1's step_1.txt disappears before step 2 runs
  file_from_a_later,  // a step_<k+1>.txt is already there when step k runs
};

// A Python string literal for any text (what the plan predicts is embedded in each script).
std::string py(const std::string& s) {
  std::string out = "'";
  for (const char ch : s) {
    if (ch == '\\' || ch == '\'') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

// Python's repr of a list of strings.
std::string py_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + py(items[i]);
  return out + "]";
}

// What step k writes to step_k.txt: its nonce, and the nonces it read, in the order it read them.
std::string text_of(const Plan& plan, int k) {
  const auto& step = plan[static_cast<std::size_t>(k - 1)];
  std::string out = "step " + std::to_string(k) + " " + step.nonce + "\n";
  for (const int j : step.reads)
    out += "saw " + std::to_string(j) + ":" + plan[static_cast<std::size_t>(j - 1)].nonce + "\n";
  return out;
}

// Step k's CSV: a header and k + 1 rows derived from its nonce.
std::vector<std::vector<std::string>> csv_of(const Plan& plan, int k) {
  std::vector<std::vector<std::string>> rows{{"step", "i", "value"}};
  for (int i = 0; i <= k; ++i) {
    rows.push_back({std::to_string(k), std::to_string(i),
                    plan[static_cast<std::size_t>(k - 1)].nonce + "-" + std::to_string(i)});
  }
  return rows;
}

std::string py_rows(const std::vector<std::vector<std::string>>& rows) {
  std::string out = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) out += (i ? ", " : "") + py_list(rows[i]);
  return out + "]";
}

// The files in /data/work once steps 1..k have run, sorted as Python's sorted() sorts them.
std::vector<std::string> listing_after(const Plan& plan, int k) {
  std::vector<std::string> names;
  for (int j = 1; j <= k; ++j) {
    names.push_back("step_" + std::to_string(j) + ".txt");
    if (plan[static_cast<std::size_t>(j - 1)].csv) names.push_back("step_" + std::to_string(j) + ".csv");
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> order_after(int k) {
  std::vector<std::string> out;
  for (int j = 1; j <= k; ++j) out.push_back(std::to_string(j));
  return out;
}

// Step k's script. It asserts what it must see and prints it, so a failure names the difference.
std::string script_of(const Plan& plan, int k) {
  const auto& step = plan[static_cast<std::size_t>(k - 1)];
  std::ostringstream s;
  s << "import csv, os, sys\n"
       "work = '/data/work'\n"
       "listing = sorted(n for n in os.listdir(work) if n.startswith('step_'))\n"
       "print('listing', listing)\n"
       "if listing != "
    << py_list(listing_after(plan, k - 1))
    << ":\n"
       "    sys.exit('step "
    << k
    << " saw the wrong files')\n"
       "log = open(work + '/order.log').read().split() if os.path.exists(work + '/order.log') else []\n"
       "print('order', log)\n"
       "if log != "
    << py_list(order_after(k - 1))
    << ":\n"
       "    sys.exit('step "
    << k << " ran out of order')\n"
    << "out = " << py("step " + std::to_string(k) + " " + step.nonce + "\n") << "\n";
  for (const int j : step.reads) {
    const std::string name = "/data/work/step_" + std::to_string(j);
    s << "got = open(" << py(name + ".txt") << ").read()\n"
      << "if got != " << py(text_of(plan, j)) << ":\n"
      << "    sys.exit('step " << k << " read a wrong step_" << j << ".txt: %r' % got)\n"
      << "out += 'saw " << j << ":' + got.split()[2] + '\\n'\n"
      << "print('read', " << j << ")\n";
    if (plan[static_cast<std::size_t>(j - 1)].csv) {
      s << "with open(" << py(name + ".csv") << ", newline='') as f:\n"
        << "    rows = list(csv.reader(f))\n"
        << "if rows != " << py_rows(csv_of(plan, j)) << ":\n"
        << "    sys.exit('step " << k << " read a wrong step_" << j << ".csv: %r' % rows)\n"
        << "print('csv', " << j << ", len(rows))\n";
    }
  }
  s << "with open('/data/work/step_" << k << ".txt', 'w') as f:\n"
    << "    f.write(out)\n";
  if (step.csv) {
    s << "with open('/data/work/step_" << k << ".csv', 'w', newline='') as f:\n"
      << "    csv.writer(f).writerows(" << py_rows(csv_of(plan, k)) << ")\n";
  }
  s << "with open('/data/work/order.log', 'a') as f:\n"
    << "    f.write('" << k << "\\n')\n"
    << "print('wrote', " << k << ")\n";
  return s.str();
}

// What step k prints when everything before it went as planned.
std::string stdout_of(const Plan& plan, int k) {
  std::string out =
      "listing " + py_list(listing_after(plan, k - 1)) + "\norder " + py_list(order_after(k - 1)) + "\n";
  for (const int j : plan[static_cast<std::size_t>(k - 1)].reads) {
    out += "read " + std::to_string(j) + "\n";
    if (plan[static_cast<std::size_t>(j - 1)].csv) {
      out += "csv " + std::to_string(j) + " " + std::to_string(j + 2) + "\n";
    }
  }
  return out + "wrote " + std::to_string(k) + "\n";
}

std::optional<std::string> slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The host's side of a case's end: /data/work emptied, the directory itself kept (it belongs to
// the sandbox user, and the container's bind mount holds it).
void empty_dir(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove_all(entry.path());
}

// Runs the plan's scripts in order in `warm` and returns what went wrong ("" when nothing did).
// `next_step` numbers the script files across cases, as a session's steps are numbered.
std::string run_plan(WarmContainer& warm, const StepFiles& files, const Plan& plan, Sabotage sabotage,
                     std::int64_t& next_step) {
  empty_dir(files.work);
  const int n = static_cast<int>(plan.size());
  std::vector<int> order;
  for (int k = 1; k <= n; ++k) order.push_back(k);
  if (sabotage == Sabotage::swap_first_two && n >= 2) std::swap(order[0], order[1]);
  for (int at = 1; at <= n; ++at) {
    const int k = order[static_cast<std::size_t>(at - 1)];
    if (sabotage == Sabotage::delete_an_output && k == 2) fs::remove(files.work / "step_1.txt");
    if (sabotage == Sabotage::file_from_a_later && k == n - 1) {
      std::ofstream(files.work / ("step_" + std::to_string(n) + ".txt")) << "too early\n";
    }
    const auto r = warm.run(script_of(plan, k), next_step++);
    const std::string where =
        "step " + std::to_string(k) + " (run " + std::to_string(at) + " of " + std::to_string(n) + "): ";
    if (!r.result.success || r.result.exit_code != 0 || r.error) {
      return where + "failed: " + r.result.error_message.value_or("") + "\nstdout:\n" +
             r.result.output_data.value_or("");
    }
    if (r.result.output_data != stdout_of(plan, k)) {
      return where + "printed\n" + r.result.output_data.value_or("") + "instead of\n" + stdout_of(plan, k);
    }
    // From the host: what the step wrote is there and exact, nothing of a later step is, and the
    // log holds every step so far in order.
    if (slurp(files.work / ("step_" + std::to_string(k) + ".txt")) != text_of(plan, k)) {
      return where + "step_" + std::to_string(k) + ".txt on the host is not what the step wrote";
    }
    std::string expected_log;
    for (const auto& j : order_after(k)) expected_log += j + "\n";
    if (slurp(files.work / "order.log") != expected_log) {
      return where + "order.log on the host is\n" + slurp(files.work / "order.log").value_or("(missing)");
    }
    std::vector<std::string> host;
    for (const auto& entry : fs::directory_iterator(files.work)) {
      if (entry.path().filename() != "order.log") host.push_back(entry.path().filename().string());
    }
    std::sort(host.begin(), host.end());
    if (host != listing_after(plan, k)) return where + "the host's /data/work holds " + py_list(host);
    std::set<std::string> reported(r.result.output_files.begin(), r.result.output_files.end());
    if (!reported.contains("/data/work/step_" + std::to_string(k) + ".txt")) {
      return where + "the result's output_files leave out step_" + std::to_string(k) + ".txt";
    }
  }
  return "";
}

// One warm session for a whole test: the fixture's folders with a scripts directory.
struct SequentialSession {
  gdp::sandbox::test::Step step{"", "prop10"};
  StepFiles files;
  std::optional<WarmContainer> warm;
  std::int64_t next_step = 1;

  SequentialSession() {
    files = step.files;
    files.script = step.dir.path() / "scripts";
    // The small caps, but a step's time is not what this property is about: a generous timeout
    // keeps a machine under load from failing a case that ran in the right order.
    ResourceConfig caps = small_caps();
    caps.timeout = std::chrono::seconds(60);
    warm.emplace(engine(), caps, files, step.labels);
    warm->start();
  }
  ~SequentialSession() {
    warm.reset();
    CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + step.labels.daemon}).empty());
  }
  SequentialSession(const SequentialSession&) = delete;
  SequentialSession& operator=(const SequentialSession&) = delete;
};

std::string nonce_text(std::uint32_t n) {
  std::ostringstream s;
  s << std::hex << n;
  return s.str();
}

}  // namespace

TEST_CASE("Property 10: scripts run in order, each seeing every earlier script's outputs",
          "[property][Property 10][docker]") {
  SequentialSession session;
  int cases = 0, steps = 0, reads = 0;
  rc::prop("Sequential Script Execution", [&] {
    // Every length from the first case on (inRange alone scales with the case's size, and the
    // early cases would all be one or two steps long); shrinking still goes towards one step.
    const int n = *rc::gen::resize(100, rc::gen::inRange(1, 7));
    Plan plan;
    for (int k = 1; k <= n; ++k) {
      PlannedStep step;
      for (int j = 1; j < k; ++j) {
        if (*rc::gen::arbitrary<bool>()) step.reads.push_back(j);
      }
      step.csv = *rc::gen::arbitrary<bool>();
      step.nonce = nonce_text(*rc::gen::arbitrary<std::uint32_t>());
      reads += static_cast<int>(step.reads.size());
      plan.push_back(std::move(step));
    }
    ++cases;
    steps += n;
    const std::string wrong = run_plan(*session.warm, session.files, plan, Sabotage::none, session.next_step);
    if (!wrong.empty()) RC_FAIL(wrong);
  });
  INFO("cases " << cases << ", steps " << steps << ", reads of an earlier step's output " << reads);
  // Every step of every case ran in the one container: none was replaced.
  CHECK(session.warm->containers_started() == 1);
}

TEST_CASE("Property 10's checks catch a wrong order, a missing output and a file from the future",
          "[Property 10][docker][sandbox][warm]") {
  SequentialSession session;
  // Four steps, each reading every earlier one, two with CSVs.
  Plan plan(4);
  for (int k = 1; k <= 4; ++k) {
    auto& step = plan[static_cast<std::size_t>(k - 1)];
    for (int j = 1; j < k; ++j) step.reads.push_back(j);
    step.csv = k % 2 == 0;
    step.nonce = nonce_text(0xabc0u + static_cast<unsigned>(k));
  }
  CHECK(run_plan(*session.warm, session.files, plan, Sabotage::none, session.next_step).empty());

  const auto swapped =
      run_plan(*session.warm, session.files, plan, Sabotage::swap_first_two, session.next_step);
  INFO(swapped);
  CHECK(swapped.find("step 2 (run 1 of 4): failed") == 0);
  CHECK(swapped.find("step 2 saw the wrong files") != std::string::npos);

  const auto missing =
      run_plan(*session.warm, session.files, plan, Sabotage::delete_an_output, session.next_step);
  INFO(missing);
  CHECK(missing.find("step 2 (run 2 of 4): failed") == 0);

  const auto early =
      run_plan(*session.warm, session.files, plan, Sabotage::file_from_a_later, session.next_step);
  INFO(early);
  CHECK(early.find("step 3 (run 3 of 4): failed") == 0);
  CHECK(early.find("listing ['step_1.txt', 'step_2.csv', 'step_2.txt', 'step_4.txt']") != std::string::npos);

  // And the container is still the first one: failed steps are a step's failure, not the session's.
  CHECK(run_plan(*session.warm, session.files, plan, Sabotage::none, session.next_step).empty());
  CHECK(session.warm->containers_started() == 1);
}
