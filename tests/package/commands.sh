# Sourced by the package tests: the commands the gdp binary knows, one a line, read from the
# "Commands:" block of `gdp --help` (client/main.cpp prints it: two spaces, the name, its summary).
gdp_commands() {
  "$1" --help | awk '/^Commands:$/ { inside = 1; next } inside && /^$/ { exit } inside { print $1 }'
}
