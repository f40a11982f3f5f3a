#!/usr/bin/env bash
# Finds or installs the Temporal CLI (which runs the real dev server) and prints its path on stdout.
# Order: $TEMPORAL_CLI, a `temporal` on PATH that is recent enough, the project's own .tools/bin/temporal,
# else a build with Go. Progress goes to stderr so callers can read the path from stdout.
set -euo pipefail

CLI_VERSION="v1.5.1" # newer tags carry a `replace` directive and cannot be `go install`ed
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
LOCAL_CLI="$BIN_DIR/temporal"

say() { printf 'temporal-cli: %s\n' "$*" >&2; }

# True when `$1 --version` reports CLI >= 1.5.1, or a source build (0.0.0-DEV) of server >= 1.29.
recent_enough() {
  local out cli server
  out="$("$1" --version 2>/dev/null)" || return 1
  cli="$(sed -n 's/^temporal version \([0-9][0-9.]*\).*/\1/p' <<<"$out")"
  server="$(sed -n 's/.*Server \([0-9][0-9.]*\).*/\1/p' <<<"$out")"
  if [[ "$cli" == 0.0.0 ]]; then
    [[ -n "$server" ]] && printf '%s\n%s\n' 1.29.0 "$server" | sort -V -C
  else
    [[ -n "$cli" ]] && printf '%s\n%s\n' 1.5.1 "$cli" | sort -V -C
  fi
}

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  if [[ -x "$TEMPORAL_CLI" ]]; then echo "$TEMPORAL_CLI"; exit 0; fi
  say "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file"; exit 1
fi

if on_path="$(command -v temporal 2>/dev/null)" && [[ "$on_path" != "$LOCAL_CLI" ]]; then
  if recent_enough "$on_path"; then echo "$on_path"; exit 0; fi
  say "ignoring $on_path: older than $CLI_VERSION"
fi

if [[ -x "$LOCAL_CLI" ]] && "$LOCAL_CLI" --version >/dev/null 2>&1; then
  echo "$LOCAL_CLI"; exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed. Install Go 1.25 or newer (Debian: apt-get install golang-1.25, or the official"
  say "tarball from the Go website), or point TEMPORAL_CLI at an existing temporal CLI ($CLI_VERSION or newer)."
  exit 1
fi

mkdir -p "$BIN_DIR"
say "building the Temporal CLI $CLI_VERSION with $(go version | cut -d' ' -f3) into .tools/bin (a cold build takes a few minutes)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
build() {
  # -v prints each package as it compiles: that is the progress.
  GOBIN="$BIN_DIR" go install -v "github.com/temporalio/cli/cmd/temporal@$CLI_VERSION" 2>&1 |
    tee "$log" | awk '{ n++; if (n % 50 == 0) printf "temporal-cli: %d packages built\n", n > "/dev/stderr" }'
  return "${PIPESTATUS[0]}"
}
if ! build; then
  if grep -q 'verifying module' "$log"; then
    # The checksum database is out of reach; the CLI's own go.sum still pins every dependency.
    say "checksum database unreachable; retrying with GOSUMDB=off"
    GOSUMDB=off build || { tail -n 20 "$log" >&2; exit 1; }
  else
    tail -n 20 "$log" >&2; exit 1
  fi
fi
say "installed $("$LOCAL_CLI" --version | head -n 1)"
echo "$LOCAL_CLI"
