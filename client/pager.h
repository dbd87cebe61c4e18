// Long text for a person goes through a pager: $PAGER, else `less -R` (with LESS=FRX when LESS is
// unset: quit when it fits, keep colour, leave the text on the screen), else `more`, else it is
// simply printed. The pager runs to completion before anything else is printed, so a prompt or an
// event that came meanwhile follows it (client/follow.cpp).
#pragma once

#include <string>

namespace gdp::client {

// Whether gdp may page at all: stdout is a terminal, and neither --json nor --no-pager was given.
bool pager_allowed(bool json, bool no_pager);

// Prints `text` on stdout, through the pager when `allowed` and it is taller than the terminal or
// `always` (a person asked to see it all). Falls back to printing when no pager can be started.
void page(const std::string& text, bool allowed, bool always = false);

}  // namespace gdp::client
