#!/usr/bin/env bash
# Builds what `npm run cluster` runs besides PostgreSQL into .tools/bin, once: the Temporal server and its SQL tool
# (the versions in the docker-compose images) and the Web UI server (the version the dev server embeds). Prints
# KEY=PATH lines on stdout (TEMPORAL_SERVER, TEMPORAL_SQL_TOOL, TEMPORAL_UI_SERVER, TEMPORAL_SCHEMA_DIR);
# progress goes to stderr. A binary that is present and reports its version is not rebuilt.
set -euo pipefail

SERVER_VERSION="v1.29.1" # = temporalio/server and admin-tools in docker-compose.yml, and the dev server's server
UI_VERSION="v2.42.1"     # = the UI of the Temporal CLI v1.5.1 dev server, and temporalio/ui in docker-compose.yml
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"

say() { printf 'cluster-tools: %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed. Install Go 1.25 or newer (Debian: apt-get install golang-1.25, or the official"
  say "tarball from the Go website); it builds the Temporal server $SERVER_VERSION and the UI server $UI_VERSION."
  exit 1
fi

# built NAME WANT: true when .tools/bin/NAME runs and its --version output contains WANT.
built() {
  [[ -x "$BIN_DIR/$1" ]] && "$BIN_DIR/$1" --version 2>/dev/null | grep -qF "$2"
}

# install NAME PACKAGE@VERSION...: `go install`s the packages (one module, one version) into a scratch GOBIN, then
# moves each binary to .tools/bin under its Temporal name (the packages are all called `server` or `sql`).
install() {
  local scratch log
  scratch="$(mktemp -d)"
  log="$scratch/build.log"
  say "building $* with $(go version | cut -d' ' -f3) (a cold build takes several minutes)"
  # -v prints each package as it compiles: that is the progress. nice: builds share the machine with the tests.
  if ! (GOBIN="$scratch/bin" nice -n 10 go install -v "$@" 2>&1 | tee "$log" |
    awk '{ n++; if (n % 50 == 0) printf "cluster-tools: %d packages built\n", n > "/dev/stderr" }'; exit "${PIPESTATUS[0]}"); then
    if grep -q 'verifying module' "$log"; then
      say "checksum database unreachable; retrying with GOSUMDB=off (the module's go.sum still pins every dependency)"
      GOBIN="$scratch/bin" GOSUMDB=off nice -n 10 go install "$@" >"$log" 2>&1 || { tail -n 20 "$log" >&2; exit 1; }
    else
      tail -n 20 "$log" >&2
      exit 1
    fi
  fi
  mkdir -p "$BIN_DIR"
  for binary in "$scratch"/bin/*; do mv "$binary" "$BIN_DIR/${NAMES[$(basename "$binary")]}"; done
  rm -rf "$scratch"
}

declare -A NAMES=([server]=temporal-server [sql]=temporal-sql-tool)
if ! built temporal-server "${SERVER_VERSION#v}" || ! built temporal-sql-tool "${SERVER_VERSION#v}"; then
  install "go.temporal.io/server/cmd/server@$SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION"
fi
declare -A NAMES=([server]=temporal-ui-server)
if ! built temporal-ui-server "${UI_VERSION#v}"; then
  install "github.com/temporalio/ui-server/v2/cmd/server@$UI_VERSION"
fi

# The SQL schemas ship in the server module, which the build left in Go's module cache.
schema_dir="$(go env GOMODCACHE)/go.temporal.io/server@$SERVER_VERSION/schema/postgresql/v12"
if [[ ! -d "$schema_dir" ]]; then
  say "fetching the schemas of go.temporal.io/server@$SERVER_VERSION"
  (cd "$(mktemp -d)" && go mod download "go.temporal.io/server@$SERVER_VERSION") >&2
fi
[[ -d "$schema_dir" ]] || { say "no schema directory at $schema_dir"; exit 1; }

echo "TEMPORAL_SERVER=$BIN_DIR/temporal-server"
echo "TEMPORAL_SQL_TOOL=$BIN_DIR/temporal-sql-tool"
echo "TEMPORAL_UI_SERVER=$BIN_DIR/temporal-ui-server"
echo "TEMPORAL_SCHEMA_DIR=$schema_dir"
