// The snapshot builder: one pass over a whole file that counts every record, infers every
// column's type and statistics, and keeps a uniform random sample (or the first rows, or a
// stratified sample), on several threads at memory speed. It fills the seed's DataSnapshot.
//
// How the pass is split: the file is mapped and cut into blocks; a quick pre-pass counts quotes
// and newlines per block, which fixes where every record starts and its line number, so blocks
// can then be scanned in any order on any thread with the same result. The random sample is
// "bottom-k": every record gets a priority hash(seed, byte offset) and the k smallest win, which
// is uniform, merges across blocks trivially, and depends only on the seed and the file.
#pragma once

#include "common/models.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gdp::ingest {

struct SnapshotOptions {
  proto::ExtractionMethod method = proto::ExtractionMethod::random;
  std::optional<std::string> stratify_by;
  std::optional<std::int64_t> seed;  // a fresh one when absent; always reported back
  std::size_t sample_size = 100;
  std::uint64_t max_bytes = std::uint64_t{1} << 30;  // files over this need allow_large
  bool allow_large = false;
  unsigned threads = 0;  // 0: one per core
  // Small enough that the pages in flight (two per thread: counted and scanned) stay far below
  // the 64 MiB growth budget; large enough that per-block sinks and planning cost nothing.
  std::size_t block_bytes = std::size_t{8} << 20;
};

// Reads `path` and builds its snapshot. Throws RpcError: InputFile (missing, a directory,
// unreadable), UnsupportedFormat (lists CSV, JSON, TXT and says what was found), FileTooLarge,
// EmptyInput (empty, header only, no records), InvalidParams (a stratify column that does not exist).
proto::DataSnapshot build_snapshot(const std::string& path, const SnapshotOptions& options);

// A record's place in the random sample: the `sample_size` records of the file with the smallest
// priorities are the sample. The seed and the record's byte offset alone decide it.
std::uint64_t sample_priority(std::uint64_t seed, std::uint64_t offset);

}  // namespace gdp::ingest
