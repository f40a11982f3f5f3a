#!/bin/sh
# One-shot (temporalio/admin-tools): waits until the Temporal server is healthy, creates the namespace when it is
# missing, and registers the search attributes nse-flow sets (NAME or NAME:TYPE, Keyword by default). Safe to run again.
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${NAMESPACE:=default}"
: "${NAMESPACE_RETENTION:=72h}"
: "${SEARCH_ATTRIBUTES:=NseJobId NseJobState NseObjectType NseTenantId NsePhase NseRedriveOf NseItemsDone:Int NseItemsFailed:Int NseItemsRunning:Int NseSweepJobs:Double NseSweepReported:Double NseSweepUndone:Double}"
: "${MAX_ATTEMPTS:=60}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# retry WHAT COMMAND...: runs COMMAND until it succeeds, every 2 s, at most MAX_ATTEMPTS times; its output is in $out.
retry() {
  what=$1
  shift
  attempt=1
  until "$@" >"$out" 2>&1; do
    if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
      echo "create-namespace: gave up waiting for $what after $MAX_ATTEMPTS attempts:" >&2
      cat "$out" >&2
      exit 1
    fi
    echo "create-namespace: waiting for $what ($attempt/$MAX_ATTEMPTS)"
    attempt=$((attempt + 1))
    sleep 2
  done
}

# op ARGS...: `temporal operator ARGS...` against the server.
op() {
  temporal operator "$@" --address "$TEMPORAL_ADDRESS"
}

retry "Temporal at $TEMPORAL_ADDRESS" op cluster health

if op namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "create-namespace: namespace $NAMESPACE exists"
else
  echo "create-namespace: creating namespace $NAMESPACE (retention $NAMESPACE_RETENTION)"
  op namespace create --namespace "$NAMESPACE" --retention "$NAMESPACE_RETENTION"
fi

# A new namespace reaches the server's namespace cache a few seconds after it is registered.
retry "namespace $NAMESPACE" op search-attribute list --namespace "$NAMESPACE"
for entry in $SEARCH_ATTRIBUTES; do
  name=${entry%%:*}
  type=Keyword
  case "$entry" in *:*) type=${entry#*:} ;; esac
  if grep -qw "$name" "$out"; then
    echo "create-namespace: search attribute $name exists"
  else
    echo "create-namespace: creating search attribute $name ($type)"
    op search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
  fi
done
echo 'create-namespace: done'
