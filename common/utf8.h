// UTF-8 validity for what goes on the wire. JSON text must be UTF-8, and Boost.JSON's serializer
// copies string bytes as they are, so a file name or a script's output in Latin-1 would otherwise
// make a reply the other side refuses to parse. The encoders repair such strings instead.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace gdp::utf8 {

bool valid(std::string_view text);
// Replaces each invalid byte with U+FFFD; valid input comes back unchanged.
std::string repair(std::string_view text);
// Repairs every string and key in `value`, in place; touches nothing when all are valid.
void repair_in_place(boost::json::value& value);

}  // namespace gdp::utf8
