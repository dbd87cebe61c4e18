// The one error enum of the wire, and its one encoder.
//
// Standard JSON-RPC codes first, then application codes grouped by area, a thousand per area. A code
// names one failure forever: numbers are never reused or renumbered, because clients and scripts
// match on them. The seed's error names travel as `error.data.kind`. proto-schema/index.json lists
// the same table; tests/unit/contract_test.cpp keeps the two in step.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gdp {

// X(enumerator, code, wire name, kind, area)
#define GDP_ERROR_CODES(X)                                                                                  \
  /* JSON-RPC 2.0 */                                                                                        \
  X(ParseError, -32700, "parse_error", "ParseError", "jsonrpc")                                             \
  X(InvalidRequest, -32600, "invalid_request", "InvalidRequest", "jsonrpc")                                 \
  X(MethodNotFound, -32601, "method_not_found", "MethodNotFound", "jsonrpc")                                \
  X(InvalidParams, -32602, "invalid_params", "InvalidParams", "jsonrpc")                                    \
  X(InternalError, -32603, "internal_error", "InternalError", "jsonrpc")                                    \
  /* 1000: the connection and its handshake */                                                              \
  X(HandshakeRequired, 1000, "handshake_required", "HandshakeRequiredError", "protocol")                    \
  X(ProtocolVersionMismatch, 1001, "protocol_version_mismatch", "ProtocolVersionMismatchError", "protocol") \
  X(FrameTooLarge, 1002, "frame_too_large", "FrameTooLargeError", "protocol")                               \
  X(NestingTooDeep, 1003, "nesting_too_deep", "NestingTooDeepError", "protocol")                            \
  X(PeerNotAllowed, 1004, "peer_not_allowed", "PeerNotAllowedError", "protocol")                            \
  X(ShuttingDown, 1005, "shutting_down", "ShuttingDownError", "protocol")                                   \
  X(HandshakeRepeated, 1006, "handshake_repeated", "HandshakeRepeatedError", "protocol")                    \
  X(TooManyConnections, 1007, "too_many_connections", "TooManyConnectionsError", "protocol")                \
  /* 2000: reading the user's data */                                                                       \
  X(UnsupportedFormat, 2000, "unsupported_format", "UnsupportedFormatError", "ingest")                      \
  X(InputFile, 2001, "input_file", "InputFileError", "ingest")                                              \
  X(FileTooLarge, 2002, "file_too_large", "FileTooLargeError", "ingest")                                    \
  X(EmptyInput, 2003, "empty_input", "EmptyInputError", "ingest")                                           \
  /* 3000: masking personal data */                                                                         \
  X(DataSanitization, 3000, "data_sanitization", "DataSanitizationError", "privacy")                        \
  /* 4000: the Docker sandbox */                                                                            \
  X(DockerNotAvailable, 4000, "docker_not_available", "DockerNotAvailableError", "sandbox")                 \
  X(ImagePull, 4001, "image_pull", "ImagePullError", "sandbox")                                             \
  X(ResourceLimit, 4002, "resource_limit", "ResourceLimitError", "sandbox")                                 \
  X(ScriptExecution, 4003, "script_execution", "ScriptExecutionError", "sandbox")                           \
  X(ContainerTimeout, 4004, "container_timeout", "ContainerTimeoutError", "sandbox")                        \
  X(ResourceExhaustion, 4005, "resource_exhaustion", "ResourceExhaustionError", "sandbox")                  \
  X(PackageInstallation, 4006, "package_installation", "PackageInstallationError", "sandbox")               \
  X(ScriptValidation, 4007, "script_validation", "ScriptValidationError", "sandbox")                        \
  /* 5000: planners (Gemini, built-in) */                                                                   \
  X(InvalidAPIKey, 5000, "invalid_api_key", "InvalidAPIKeyError", "llm")                                    \
  X(Network, 5001, "network", "NetworkError", "llm")                                                        \
  X(RateLimit, 5002, "rate_limit", "RateLimitError", "llm")                                                 \
  X(APIQuotaExceeded, 5003, "api_quota_exceeded", "APIQuotaExceededError", "llm")                           \
  X(ScriptGeneration, 5004, "script_generation", "ScriptGenerationError", "llm")                            \
  X(ContextTooLarge, 5005, "context_too_large", "ContextTooLargeError", "llm")                              \
  /* 6000: the SQLite context store and the project folders */                                              \
  X(StorageLimit, 6000, "storage_limit", "StorageLimitError", "store")                                      \
  X(FileSystem, 6001, "file_system", "FileSystemError", "store")                                            \
  X(SessionNotFound, 6002, "session_not_found", "SessionNotFoundError", "store")                            \
  X(Transaction, 6003, "transaction", "TransactionError", "store")                                          \
  /* 7000: the session workflow and approvals */                                                            \
  X(ApprovalConflict, 7000, "approval_conflict", "ApprovalConflictError", "session")                        \
  X(InvalidState, 7001, "invalid_state", "InvalidStateError", "session")

enum class ErrorCode : int {
#define GDP_X(e, code, name, kind, area) e = (code),
  GDP_ERROR_CODES(GDP_X)
#undef GDP_X
};

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;
  std::string_view kind;
  std::string_view area;
};

// Every code, in table order.
std::span<const ErrorInfo> all_errors();
const ErrorInfo& error_info(ErrorCode code);
std::optional<ErrorCode> error_code_from_int(std::int64_t code);

// An error that crosses the wire. `data` holds the extra fields beside `kind` (the encoder adds
// `kind`), e.g. the versions each side speaks for ProtocolVersionMismatch.
class RpcError : public std::runtime_error {
 public:
  RpcError(ErrorCode code, const std::string& message, boost::json::object data = {});

  ErrorCode code() const noexcept { return code_; }
  const boost::json::object& data() const noexcept { return data_; }
  // The kind as received; for known codes it equals error_info(code).kind.
  std::string_view kind() const noexcept { return kind_; }
  // The numeric code as received, kept for codes this build does not know.
  std::int64_t raw_code() const noexcept { return raw_code_; }

  // Decodes an `error` member of a response. Unknown codes map to InternalError but keep their
  // number and kind, so a newer daemon's errors still print sensibly.
  static RpcError decode(const boost::json::value& error);

 private:
  ErrorCode code_;
  std::int64_t raw_code_;
  std::string kind_;
  boost::json::object data_;
};

// The one encoder: {"code": ..., "message": ..., "data": {"kind": ..., ...}}.
boost::json::object encode_error(const RpcError& error);

}  // namespace gdp
