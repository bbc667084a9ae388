#!/usr/bin/env bash
# Installs what Migration Tally needs to run locally, reusing whatever is already there:
#   - the npm packages (npm ci, when node_modules is missing or older than the lockfile)
#   - Apache Kafka (KRaft) jars from Maven Central, resolved by mvn
#   - the Temporal CLI dev server, built by `go install` (pinned version)
#   - ClickHouse from Debian's clickhouse-server package
#   - chdb-core (a current ClickHouse, in-process) from PyPI, for the SQL compatibility test
#   - the librdkafka producer (@confluentinc/kafka-javascript), built from its bundled source;
#     where it cannot be built the worker publishes with kafkajs (TALLY_SKIP_RDKAFKA=1 skips it)
# Engines live in $TALLY_HOME (default ~/.cache/migration-tally), never in the repository.
# The paths found are written to $TALLY_HOME/engines.json, which the stack manager reads.
# TALLY_STACK=external skips the engines (the pipeline then uses existing clusters).
set -euo pipefail

KAFKA_VERSION="${TALLY_KAFKA_VERSION:-4.1.1}"
SLF4J_VERSION="2.0.17"
LOG4J_VERSION="2.24.3"
TEMPORAL_CLI_VERSION="v1.5.1"
CHDB_VERSION="26.9.0"
KAFKA_JS_CLIENT_VERSION="1.10.1"
TALLY_HOME="${TALLY_HOME:-$HOME/.cache/migration-tally}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

STEP=0
STEPS=7
say() { printf '[install %s/%s] %s\n' "$STEP" "$STEPS" "$*" >&2; }
step() { STEP=$((STEP + 1)); }
fail() { printf '[install] error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is required ($2) but was not found on PATH"; }

# Runs a long command, printing a line every 30 s so that a first install is visibly alive.
with_heartbeat() {
  local label="$1"; shift
  local log; log="$(mktemp)"
  local start=$SECONDS
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (( (SECONDS - start) % 30 == 0 )) && (( SECONDS > start )); then
      say "$label: still working ($((SECONDS - start)) s)"
    fi
  done
  if ! wait "$pid"; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    fail "$label failed (last lines above)"
  fi
  rm -f "$log"
  say "$label: done in $((SECONDS - start)) s"
}

install_npm() {
  step
  need node "Node.js 20.19 or later"
  need npm "the npm client"
  local modules="$ROOT/node_modules" lock="$ROOT/package-lock.json"
  if [[ -L "$modules" ]]; then
    # A link to another checkout's packages (a git worktree): npm ci would delete and rewrite them.
    say "npm packages: node_modules links to $(readlink "$modules"), not installed here (run npm ci where it points)"
  elif [[ ! -d "$modules" || ! -f "$modules/.package-lock.json" || "$lock" -nt "$modules/.package-lock.json" ]]; then
    # npm ci: exactly the lockfile's versions, from a clean node_modules, or it fails.
    say "npm packages: npm ci from package-lock.json (first time: a few minutes)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  else
    say "npm packages: up to date with package-lock.json"
  fi
}

# A build that fails is reported, not fatal: the worker then publishes with kafkajs and says so.
install_rdkafka() {
  step
  local dir="$TALLY_HOME/kafka-javascript-$KAFKA_JS_CLIENT_VERSION"
  local module="$dir/node_modules/@confluentinc/kafka-javascript"
  if [[ "${TALLY_SKIP_RDKAFKA:-}" == "1" ]]; then
    say "librdkafka producer: skipped (TALLY_SKIP_RDKAFKA=1); the worker publishes with kafkajs"
    return
  fi
  loads() { node -e "require(process.argv[1])" "$module"; }
  if [[ -f "$dir/.complete" ]] && loads 2>/dev/null; then
    say "librdkafka producer: reusing $dir"
    return
  fi
  if ! command -v make >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    say "librdkafka producer: not built (needs make, g++ and python3); the worker publishes with kafkajs"
    return
  fi
  say "librdkafka producer: building @confluentinc/kafka-javascript $KAFKA_JS_CLIENT_VERSION from source (first time: 2 to 4 minutes)"
  rm -rf "$dir"; mkdir -p "$dir"
  printf '{ "name": "tally-kafka-client", "private": true, "dependencies": { "@confluentinc/kafka-javascript": "%s" } }\n' \
    "$KAFKA_JS_CLIENT_VERSION" > "$dir/package.json"
  # Node's own headers where they are installed (no download), librdkafka linked from its bundled source.
  local prefix; prefix="$(dirname "$(dirname "$(command -v node)")")"
  local nodedir=()
  if [[ -f "$prefix/include/node/node.h" ]]; then nodedir=(npm_config_nodedir="$prefix"); fi
  if (with_heartbeat "librdkafka producer build" env CKJS_LINKING=dynamic npm_config_build_from_source=true "${nodedir[@]}" \
        npm install --prefix "$dir" --no-audit --no-fund --loglevel=error) \
     && loads; then
    touch "$dir/.complete"
  else
    rm -rf "$dir"
    say "librdkafka producer: the build failed (above); the worker publishes with kafkajs"
  fi
}

install_kafka() {
  step
  local dir="$TALLY_HOME/kafka-$KAFKA_VERSION"
  if [[ -f "$dir/.complete" ]]; then
    say "Kafka $KAFKA_VERSION: reusing $dir"
    return
  fi
  need java "a Java 17+ runtime, to run the Kafka broker"
  need mvn "Apache Maven, to resolve the Kafka jars"
  say "Kafka $KAFKA_VERSION: resolving org.apache.kafka:kafka_2.13 and a log4j2 provider with mvn (first time: about a minute)"
  rm -rf "$dir"; mkdir -p "$dir"
  sed -e "s/@KAFKA_VERSION@/$KAFKA_VERSION/" -e "s/@SLF4J_VERSION@/$SLF4J_VERSION/" \
      -e "s/@LOG4J_VERSION@/$LOG4J_VERSION/g" "$ROOT/infra/kafka/pom.xml" > "$dir/pom.xml"
  with_heartbeat "Kafka jars" mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$dir/libs" -DincludeScope=runtime
  touch "$dir/.complete"
}

find_temporal() {
  if [[ -x "$TALLY_HOME/bin/temporal" ]]; then echo "$TALLY_HOME/bin/temporal"; return; fi
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  return 1
}

install_temporal() {
  step
  local bin
  if bin="$(find_temporal)"; then
    say "Temporal CLI: reusing $bin"
    return
  fi
  need go "the Go toolchain, to build the Temporal CLI with go install"
  mkdir -p "$TALLY_HOME/bin"
  say "Temporal CLI $TEMPORAL_CLI_VERSION: building with go install (first time: several minutes)"
  with_heartbeat "Temporal CLI build" env GOBIN="$TALLY_HOME/bin" \
    go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
}

find_clickhouse() {
  local c
  for c in clickhouse-server clickhouse; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return; fi
  done
  if [[ -x /usr/sbin/clickhouse-server ]]; then echo /usr/sbin/clickhouse-server; return; fi
  return 1
}

install_clickhouse() {
  step
  local bin
  if bin="$(find_clickhouse)"; then
    say "ClickHouse: reusing $bin"
    return
  fi
  need apt-get "Debian's package manager, to install clickhouse-server"
  [[ "$(id -u)" == 0 ]] || fail "clickhouse-server is not installed and installing it needs root: run 'sudo apt-get install clickhouse-server'"
  say "ClickHouse: installing Debian's clickhouse-server package"
  with_heartbeat "apt-get update" apt-get update
  with_heartbeat "apt-get install clickhouse-server" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends clickhouse-server
}

install_chdb() {
  step
  need python3 "Python 3.9+, to replay the project's SQL on a current ClickHouse (chdb-core)"
  local have
  if have="$(python3 -c 'import chdb, sys; sys.stdout.write(chdb.__version__)' 2>/dev/null)"; then
    say "chdb-core (ClickHouse 26.x in-process, for test/int/compat): reusing chdb $have"
    return
  fi
  say "chdb-core $CHDB_VERSION (ClickHouse 26.x in-process, for test/int/compat): installing with pip (first time: about a minute)"
  with_heartbeat "pip install chdb-core==$CHDB_VERSION" env PIP_BREAK_SYSTEM_PACKAGES=1 \
    python3 -m pip install --quiet --disable-pip-version-check "chdb-core==$CHDB_VERSION"
  python3 -c 'import chdb' 2>/dev/null || fail "pip installed chdb-core but python3 cannot import chdb"
}

install_chromium() {
  step
  if command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; then
    say "Chromium (explorer browser test): reusing $(command -v chromium || echo /usr/bin/chromium)"
    return
  fi
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "Chromium (explorer browser test): installing Debian's chromium package"
    with_heartbeat "apt-get update" apt-get update
    with_heartbeat "apt-get install chromium" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends chromium
  else
    say "Chromium not found and cannot be installed without root: the browser test will report it"
  fi
}

write_manifest() {
  local temporal clickhouse java
  temporal="$(find_temporal)"; clickhouse="$(find_clickhouse)"; java="$(command -v java)"
  cat > "$TALLY_HOME/engines.json" <<EOF
{
  "kafka": { "version": "$KAFKA_VERSION", "libs": "$TALLY_HOME/kafka-$KAFKA_VERSION/libs", "java": "$java" },
  "temporal": { "bin": "$temporal" },
  "clickhouse": { "bin": "$clickhouse" }
}
EOF
  say "engines ready: $TALLY_HOME/engines.json"
}

main() {
  mkdir -p "$TALLY_HOME"
  install_npm
  install_rdkafka
  if [[ "${TALLY_STACK:-local}" == "external" ]]; then
    say "TALLY_STACK=external: using existing clusters, no local engines installed"
    return
  fi
  install_kafka
  install_temporal
  install_clickhouse
  install_chdb
  if [[ "${TALLY_SKIP_BROWSER:-}" != "1" ]]; then install_chromium; fi
  write_manifest
}

main "$@"
