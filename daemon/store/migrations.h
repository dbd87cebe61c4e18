// The store's schema, as an ordered list of migrations. Migration i (1-based) takes a database at
// user_version i-1 to i, inside one transaction. Never edit a released migration: add the next.
#pragma once

#include <span>
#include <string_view>

namespace gdp::store {

std::span<const std::string_view> migrations();

}  // namespace gdp::store
