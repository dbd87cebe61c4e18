// UTF-8 validity for what goes on the wire. JSON text must be UTF-8, and Boost.JSON's serializer
// copies string bytes as they are, so a file name or a script's output in Latin-1 would otherwise
// make a reply the other side refuses to parse. The encoders repair such strings instead.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace gdp::utf8 {

bool valid(std::string_view text);
// Offset of the first byte that does not begin a valid UTF-8 sequence (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or npos. With `allow_truncated_end`, a sequence cut short by
// the end of `text` counts as valid: the head of a file may end inside a character. ASCII runs are
// skipped 16 bytes at a time, since data files are mostly ASCII.
std::size_t first_invalid(std::string_view text, bool allow_truncated_end = false);
// Appends Latin-1 text as UTF-8 (every byte is a code point below U+0100).
void append_latin1(std::string& out, std::string_view latin1);
// Replaces each invalid byte with U+FFFD; valid input comes back unchanged.
std::string repair(std::string_view text);
// Repairs every string and key in `value`, in place; touches nothing when all are valid.
void repair_in_place(boost::json::value& value);

}  // namespace gdp::utf8
