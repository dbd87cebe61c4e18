#!/usr/bin/env bash
# gdp stays thin (the seed's Property 9, in spirit): the client binary must not link SQLite,
# OpenSSL, or anything Docker- or LLM-related. Reads the binary's dynamic dependencies.
set -euo pipefail
bin=${1:?usage: client_deps_test.sh PATH_TO_GDP}
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "gdp needs:"; printf '  %s\n' $needed
bad=$(printf '%s\n' $needed | grep -Ei 'sqlite|ssl|crypto|curl|docker|gemini|re2|zstd|systemd' || true)
if [ -n "$bad" ]; then
  echo "FAIL: gdp links $bad"; exit 1
fi
# And no such symbols were linked in statically.
if nm -C "$bin" 2>/dev/null | grep -Eq 'sqlite3_|SSL_CTX_|EVP_'; then
  echo "FAIL: gdp contains SQLite or OpenSSL symbols"; exit 1
fi
echo "PASS: gdp links only: $(echo $needed)"
