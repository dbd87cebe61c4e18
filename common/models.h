// The seed's data models, with the seed's field names, as they travel on the wire.
// proto-schema/protocol.schema.json defines the same types; tests/unit/contract_test.cpp
// round-trips the golden examples in proto-schema/examples/models/ through these structs.
#pragma once

#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gdp::proto {

BOOST_DEFINE_ENUM_CLASS(SessionStatus, active, completed, failed, cancelled, abandoned)
BOOST_DEFINE_ENUM_CLASS(ValidationStatus, valid, invalid, warning, pending)
BOOST_DEFINE_ENUM_CLASS(FileFormat, csv, json, text, unknown)
BOOST_DEFINE_ENUM_CLASS(ExtractionMethod, random, first_n, stratified)
BOOST_DEFINE_ENUM_CLASS(SecurityLevel, safe, caution, restricted)
BOOST_DEFINE_ENUM_CLASS(Complexity, low, medium, high)
// What the privacy step did to a field: masked its values, dropped the column (strict mode), or
// masked the field's name itself (a header or JSON key that is an email, say).
BOOST_DEFINE_ENUM_CLASS(MaskAction, masked, dropped, name_masked)

// One masked field of a snapshot: which detector fired and how many values it masked.
struct SanitizedField {
  std::string field;  // as the snapshot shows it (masked if the name itself was personal)
  std::string detector;
  std::int64_t count = 0;
  MaskAction action = MaskAction::masked;
};
BOOST_DESCRIBE_STRUCT(SanitizedField, (), (field, detector, count, action))

// One column's profile over the whole file (not only the sample), in file column order.
struct ColumnProfile {
  std::string name;
  std::string type;  // null, boolean, integer, float, date, datetime, string
  std::int64_t null_count = 0;
  std::int64_t distinct_estimate = 0;
  std::optional<std::string> min;  // numbers and dates only
  std::optional<std::string> max;
  std::optional<std::string> date_format;  // strftime-style, for date and datetime columns
};
BOOST_DESCRIBE_STRUCT(ColumnProfile, (), (name, type, null_count, distinct_estimate, min, max, date_format))

// A record that could not be read as its format says; the first few are kept, all are counted.
struct MalformedRecord {
  std::int64_t line = 0;
  std::string reason;
};
BOOST_DESCRIBE_STRUCT(MalformedRecord, (), (line, reason))

// Where a snapshot came from and how the file was read.
struct SourceInfo {
  std::string path;
  std::int64_t size_bytes = 0;
  std::string encoding;  // "utf-8" or "latin-1" (converted to UTF-8)
  std::string details;   // e.g. "';'-delimited, header row", "JSON Lines", "array of records"
};
BOOST_DESCRIBE_STRUCT(SourceInfo, (), (path, size_bytes, encoding, details))

// A sample of the input, the only view of the data a planner ever gets. The seed's fields come
// first; the rest say how it was taken, so the same seed gives the same rows.
struct DataSnapshot {
  std::vector<boost::json::object> rows;
  std::map<std::string, std::string> schema;  // column -> inferred type
  FileFormat file_format = FileFormat::unknown;
  std::int64_t total_rows = 0;
  std::int64_t sample_size = 0;
  std::vector<SanitizedField> sanitized_fields;
  ExtractionMethod extraction_method = ExtractionMethod::random;
  std::int64_t seed = 0;
  std::optional<std::string> stratify_by;
  std::vector<ColumnProfile> columns;
  std::int64_t malformed_records = 0;
  std::vector<MalformedRecord> malformed_examples;
  SourceInfo source;
};
BOOST_DESCRIBE_STRUCT(DataSnapshot, (),
                      (rows, schema, file_format, total_rows, sample_size, sanitized_fields,
                       extraction_method, seed, stratify_by, columns, malformed_records, malformed_examples,
                       source))

// What a planner concluded from a snapshot.
struct DataAnalysis {
  std::vector<std::string> data_quality_issues;
  std::vector<std::string> suggested_operations;
  std::map<std::string, std::string> column_insights;
  std::vector<std::string> processing_recommendations;
  Complexity estimated_complexity = Complexity::low;
  bool sensitive_data_detected = false;
  SecurityLevel recommended_security_level = SecurityLevel::safe;
};
BOOST_DESCRIBE_STRUCT(DataAnalysis, (),
                      (data_quality_issues, suggested_operations, column_insights, processing_recommendations,
                       estimated_complexity, sensitive_data_detected, recommended_security_level))

// A proposed step: the code, and what a person who does not read Python needs to judge it.
struct ProcessingScript {
  std::string script_id;
  std::string content;
  std::string description;
  std::vector<std::string> required_packages;
  std::vector<std::string> input_files;
  std::vector<std::string> output_files;
  std::int64_t estimated_runtime = 0;  // seconds
  ValidationStatus validation_status = ValidationStatus::pending;
  SecurityLevel security_level = SecurityLevel::safe;
};
BOOST_DESCRIBE_STRUCT(ProcessingScript, (),
                      (script_id, content, description, required_packages, input_files, output_files,
                       estimated_runtime, validation_status, security_level))

struct ResourceUsage {
  double cpu_percent = 0;
  double memory_mb = 0;
  double disk_mb = 0;
  std::int64_t network_bytes = 0;
  double execution_time = 0;  // seconds
};
BOOST_DESCRIBE_STRUCT(ResourceUsage, (), (cpu_percent, memory_mb, disk_mb, network_bytes, execution_time))

struct ExecutionResult {
  bool success = false;
  std::optional<std::string> output_data;
  std::optional<std::string> error_message;
  double execution_time = 0;  // seconds
  std::vector<std::string> output_files;
  std::string logs;
  ResourceUsage resource_usage;
  std::string container_id;
  std::optional<std::int64_t> exit_code;  // absent when gdpd stopped the container (a limit)
};
BOOST_DESCRIBE_STRUCT(ExecutionResult, (),
                      (success, output_data, error_message, execution_time, output_files, logs,
                       resource_usage, container_id, exit_code))

struct ValidationResult {
  bool is_valid = false;
  std::vector<std::string> syntax_errors;
  std::vector<std::string> security_warnings;
  std::vector<std::string> suggested_fixes;
  double validation_time = 0;  // seconds
  SecurityLevel security_level = SecurityLevel::safe;  // restricted needs a second confirmation
};
BOOST_DESCRIBE_STRUCT(ValidationResult, (),
                      (is_valid, syntax_errors, security_warnings, suggested_fixes, validation_time,
                       security_level))

struct ProcessingSession {
  std::string session_id;  // {timestamp}_{hash}
  std::string input_file;
  std::string output_directory;
  std::string created_at;     // RFC 3339, UTC
  std::string last_accessed;  // RFC 3339, UTC
  std::optional<DataSnapshot> data_snapshot;
  std::vector<ProcessingScript> scripts_executed;
  boost::json::object current_context;
  SessionStatus status = SessionStatus::active;
  std::vector<std::string> checkpoints;
};
BOOST_DESCRIBE_STRUCT(ProcessingSession, (),
                      (session_id, input_file, output_directory, created_at, last_accessed, data_snapshot,
                       scripts_executed, current_context, status, checkpoints))

struct StorageStats {
  double total_size_mb = 0;
  std::int64_t session_count = 0;
  std::optional<std::string> oldest_session_date;
  double available_space_mb = 0;
};
BOOST_DESCRIBE_STRUCT(StorageStats, (),
                      (total_size_mb, session_count, oldest_session_date, available_space_mb))

}  // namespace gdp::proto
