#!/usr/bin/env bash
# Benchmarks (issues 7 and 14): our chain as deployed against nginx and js-libp2p, side by side,
# on loopback.
#
#   bench/run.sh [--quick] [--jdk PATH]... [--one-jvm] [--no-doc] [--keep]
#   bench/run.sh --profile [--jdk PATH]...
#   bench/run.sh --metering [--quick] [--jdk PATH]...
#
#   --quick     fewer points and shorter runs (finishes in under 2 minutes); every target is still
#               warmed up until it stops getting faster before it is measured; our chain on
#               Temurin 25 only unless --jdk is given (each more JDK adds about a minute)
#   --jdk PATH  a JDK home to run our chain (and the ChaCha20-Poly1305 reference) on; repeatable.
#               Default: the default JDK 17 and Temurin 25 (--quick: Temurin 25).
#   --one-jvm   also measure the gateway and the exposer in one JVM (bench/our-chain/OurChain.java,
#               built from the modules' classes) as an extra column per JDK
#   --no-doc    print the table only, do not rewrite the results section of docs/benchmarks.md
#   --keep      keep the work directory (configs, logs, raw results) instead of deleting it
#   --profile   no baselines and no table: our chain only (gateway and exposer, each its own JVM),
#               under wrk, both recorded with JDK Flight Recorder (Java samples every 2 ms,
#               bench/profile.jfc) for the measured window only; prints the summary of
#               bench/jfr-summary.py per JVM and JDK and keeps the .jfr files.
#               Environment: PROFILE_SIZE=1k|1m, PROFILE_CONNS=64, PROFILE_SECONDS=20.
#   --metering  the cost of usage metering: two gateways of our chain alike but for `usage` (off, the
#               baseline, and on), one exposer serving both; 1 KiB at 64 connections, rounds
#               alternating between the two; prints the median requests/s of each and the ratio.
#               Default JDK: the first of the list only. No baselines, no doc rewrite.
#   Environment: BENCH_CONNS="16 256", BENCH_SECONDS=N, BENCH_DOWNLOAD=1g|256m override the
#   connection counts, seconds per wrk point and download size; OUR_CHAIN_CP=<classpath> runs the
#   one-JVM launcher from a prebuilt classpath (no build); MVN_OFFLINE= lets its Maven build go online.
#
# Starts on 127.0.0.1, free ports: the origin (nginx serving 1 KiB / 1 MiB / 256 MiB / 1 GiB
# files, plus bench/origin-slow.mjs behind it for /poll), nginx as a reverse proxy in front of the
# origin, the js-libp2p chain (interop/bench-js-gateway.mjs -> libp2p -> interop/
# bench-js-exposer.mjs -> origin) and our chain as users run it (start_deployed_chain below):
# `./ipns-link gateway` and `./ipns-link expose ... --publish-to <that gateway>`, two JVMs. Load
# from wrk (Debian package), curl and two small Node load programs (bench/longpoll.mjs,
# bench/idle-conns.mjs). Every process started is killed on exit; every wait is bounded. See
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
ONE_JVM=0
WRITE_DOC=1
KEEP=0
PROFILE=0
METERING=0
JDKS=()
usage() { sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --jdk) [ $# -ge 2 ] || { echo "--jdk needs a path" >&2; exit 2; }; JDKS+=("$2"); shift ;;
    --one-jvm) ONE_JVM=1 ;;
    --no-doc) WRITE_DOC=0 ;;
    --keep) KEEP=1 ;;
    --profile) PROFILE=1; KEEP=1 ;;
    --metering) METERING=1; WRITE_DOC=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#JDKS[@]} -gt 0 ] || { [ "$METERING" = 1 ] && JDKS=(/usr/lib/jvm/java-17-openjdk-amd64); } \
  || { [ "$QUICK" = 1 ] && [ "$PROFILE" = 0 ] && JDKS=(/usr/lib/jvm/temurin-25-jdk-amd64); } \
  || JDKS=(/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64)
for j in "${JDKS[@]}"; do
  [ -x "$j/bin/java" ] || { echo "not a JDK home (no bin/java): $j" >&2; exit 2; }
done

# ---- Parameters -------------------------------------------------------------------------------
# Warm-up (warm_up below): rounds of WARMUP_ROUND s of wrk -c64 on /1k, then on /1m, until the
# target stops getting faster (and, for our chains, until their JITs are about done), at most
# WARMUP_MAX s in all. Our chain is two JVMs whose JIT compilers share two cores with everything
# else: it needs 15-35 s of load before it reaches its speed.
if [ "$QUICK" = 1 ]; then
  CONNS=(1 64); WRK_SECONDS=2; DL_FILE=256m; TTFB_SAMPLES=0
  WARMUP_ROUND=2; WARMUP_MAX=36
  # the baselines (nginx, the origin, node) have no JIT of ours to wait for: their rounds only
  # wander with the machine's noise after the first few, so --quick stops them at 16 s (and does
  # not warn when it does)
  BASELINE_WARMUP_MAX=16
  # --quick keeps requests/s, latencies and the download (1 MiB at 64 connections only), and leaves
  # out the origin alone, the cold first byte (one more exposer JVM per sample), memory per idle
  # connection, the long-polls, the container alone and the ChaCha20-Poly1305 reference
  FULL_ONLY=0
else
  CONNS=(1 16 64 256); WRK_SECONDS=10; DL_FILE=1g; TTFB_SAMPLES=10
  WARMUP_ROUND=3; WARMUP_MAX=90
  BASELINE_WARMUP_MAX=$WARMUP_MAX
  FULL_ONLY=1
fi
CHACHA_SECONDS=3
JIT_QUIET_PER_S=10   # warm_up: a JVM compiling fewer methods per second than this is about done
# Overrides (e.g. to look at one point): BENCH_CONNS="16 256" BENCH_SECONDS=5 BENCH_DOWNLOAD=1g|256m
[ -n "${BENCH_CONNS:-}" ] && read -r -a CONNS <<<"$BENCH_CONNS"
WRK_SECONDS=${BENCH_SECONDS:-$WRK_SECONDS}
DL_FILE=${BENCH_DOWNLOAD:-$DL_FILE}
case "$DL_FILE" in 1g|256m) ;; *) echo "BENCH_DOWNLOAD must be 1g or 256m" >&2; exit 2 ;; esac
for c in "${CONNS[@]}" "$WRK_SECONDS"; do
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_CONNS / BENCH_SECONDS must be positive integers: $c" >&2; exit 2; }
done
LONGPOLL_N=2000          # concurrent long-polls
LONGPOLL_DELAY_MS=5000   # the origin answers after this (2 s with --quick)
[ "$QUICK" = 1 ] && LONGPOLL_DELAY_MS=2000
LONGPOLL_TIMEOUT_MS=30000
IDLE_N=1000              # idle keep-alive connections for the memory figure
WRK_TIMEOUT=10s          # a response slower than this counts as a wrk timeout error
DL_MAX_SECONDS=120       # bound of one big download
DL_TRIES=2               # big downloads per target, the best counts (1 with --quick)
[ "$QUICK" = 1 ] && DL_TRIES=1
START_TIMEOUT=60         # bound of every "wait until it listens"
LIFETIME=3600            # hard lifetime of every process started (timeout(1) kills it after)

# ---- Tools ------------------------------------------------------------------------------------
need_pkgs=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_pkgs[*]}" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
  DEBIAN_FRONTEND=noninteractive timeout 600 "${SUDO[@]}" apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2 \
    || { echo "apt-get install ${need_pkgs[*]} failed; install them and rerun" >&2; exit 1; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for t in wrk curl node jq python3; do
  command -v $t >/dev/null 2>&1 || { echo "missing tool: $t" >&2; exit 1; }
done
if [ ! -d interop/node_modules/@libp2p/http ]; then
  echo "installing interop/ node modules (npm ci)" >&2
  (cd interop && timeout 600 npm ci --no-audit --no-fund >&2) || { echo "npm ci in interop/ failed" >&2; exit 1; }
fi
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
if [ "$(ulimit -n)" -lt 8192 ]; then
  echo "warning: ulimit -n is $(ulimit -n); 2,000 long-polls need about 8,000 descriptors" >&2
fi

# ---- Work directory and cleanup ---------------------------------------------------------------
WORK=$(mktemp -d /tmp/ipnslink-bench.XXXXXX)
chmod 755 "$WORK"
RESULTS=$WORK/results.tsv
: > "$RESULTS"
PIDS=()   # every background process started (timeout(1) wrappers: killing one kills its child)
FG_PID="" # the measurement command running now (see fg_run)

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p
  if [ -n "$FG_PID" ]; then pkill -TERM -P "$FG_PID" 2>/dev/null || true; kill -TERM "$FG_PID" 2>/dev/null || true; fi
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.3
  done
  for p in "${PIDS[@]}"; do
    pkill -KILL -P "$p" 2>/dev/null || true
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ] || [ $rc != 0 ]; then
    echo "work directory (logs, configs, raw results): $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# start NAME CMD...: runs CMD in the background under timeout(1) (stdout NAME.out, stderr NAME.err);
# sets LAST_PID to the wrapper's pid.
start() {
  local name=$1; shift
  timeout --kill-after=5 "$LIFETIME" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# fg_run OUTFILE CMD...: runs one measurement command (stdout to OUTFILE, stderr to fg.err) and
# waits for it; its exit status in FG_RC. In the background + wait, so that a signal to the script interrupts at once (bash
# defers traps while a foreground command runs); the exit trap then kills it.
fg_run() {
  local out=$1; shift
  "$@" >"$out" 2>>"$WORK/fg.err" &
  FG_PID=$!
  FG_RC=0
  wait "$FG_PID" || FG_RC=$?
  FG_PID=""
}

# child_of WRAPPER_PID: the pid of the command a timeout(1) wrapper runs.
child_of() {
  local i
  for i in $(seq 1 50); do
    local c
    c=$(pgrep -P "$1" | head -1 || true)
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.1
  done
  echo "no child process under $1" >&2; return 1
}

# wait_json NAME FIELD [PID]: waits (bounded) for the first JSON line of NAME.out, prints its
# FIELD; gives up early when PID (default: the last process started) has exited.
wait_json() {
  local name=$1 field=$2 pid=${3:-$LAST_PID} i
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    if [ -s "$WORK/$name.out" ] && head -1 "$WORK/$name.out" | jq -e . >/dev/null 2>&1; then
      head -1 "$WORK/$name.out" | jq -r "$field"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it was ready; its stderr:" >&2
      tail -20 "$WORK/$name.err" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not start within ${START_TIMEOUT}s; its stderr:" >&2
  tail -20 "$WORK/$name.err" >&2
  return 1
}

# wait_line NAME REGEX [PID]: waits (bounded) for a line of NAME.out matching REGEX (grep -P;
# \K keeps what follows), prints the match; gives up early when PID (default: the last process
# started) has exited.
wait_line() {
  local name=$1 re=$2 pid=${3:-$LAST_PID} i m
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    m=$(grep -oP -m1 "$re" "$WORK/$name.out" 2>/dev/null || true)
    if [ -n "$m" ]; then echo "$m"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it was ready; its stderr:" >&2
      tail -20 "$WORK/$name.err" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not start within ${START_TIMEOUT}s; its stderr:" >&2
  tail -20 "$WORK/$name.err" >&2
  return 1
}

# wait_doc NAME JQ [PID]: waits (bounded) until NAME.out holds one whole JSON document (the
# `--json` output of `ipns-link expose`, several lines), prints JQ of it; fails when JQ gives
# nothing or null, or when PID (default: the last process started) has exited.
wait_doc() {
  local name=$1 filter=$2 pid=${3:-$LAST_PID} i v
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    if [ -s "$WORK/$name.out" ] && jq -e . "$WORK/$name.out" >/dev/null 2>&1; then
      v=$(jq -r "$filter" "$WORK/$name.out" 2>/dev/null || true)
      if [ -n "$v" ] && [ "$v" != null ]; then echo "$v"; return 0; fi
      echo "$name: unexpected output (no $filter):" >&2
      head -c 2000 "$WORK/$name.out" >&2
      return 1
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it was ready; its stderr:" >&2
      tail -20 "$WORK/$name.err" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not start within ${START_TIMEOUT}s; its stderr:" >&2
  tail -20 "$WORK/$name.err" >&2
  return 1
}

# wait_http URL: waits (bounded) until URL answers.
wait_http() {
  local i
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    curl -s -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.1
  done
  echo "$1 did not answer within ${START_TIMEOUT}s" >&2
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# result TARGET METRIC VALUE
result() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RESULTS"; }

# rss_kib PID...: summed resident set of the processes and their children, in KiB.
rss_kib() {
  local all=() p
  for p in "$@"; do all+=("$p"); all+=($(pgrep -P "$p" || true)); done
  local total=0 v
  for p in "${all[@]}"; do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo $total
}

# ---- Origin -----------------------------------------------------------------------------------
mkdir -p "$WORK/www" "$WORK/tmp"
head -c 1024 /dev/urandom > "$WORK/www/1k"
head -c $((1024 * 1024)) /dev/urandom > "$WORK/www/1m"
truncate -s 256M "$WORK/www/256m"   # sparse: served from the page cache, no disk
truncate -s 1G "$WORK/www/1g"
chmod 755 "$WORK/www" "$WORK/tmp"; chmod 644 "$WORK/www/"*

nginx_common() { # NAME
  cat <<EOF
daemon off;
master_process on;
worker_processes auto;
worker_rlimit_nofile 20000;
pid $WORK/$1.pid;
error_log $WORK/$1-error.log warn;
events { worker_connections 10000; multi_accept on; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 120s; keepalive_requests 1000000;
  client_body_temp_path $WORK/tmp/$1-body;
  proxy_temp_path $WORK/tmp/$1-proxy;
  fastcgi_temp_path $WORK/tmp/$1-fastcgi;
  uwsgi_temp_path $WORK/tmp/$1-uwsgi;
  scgi_temp_path $WORK/tmp/$1-scgi;
  default_type application/octet-stream;
EOF
}
PROXY_DIRECTIVES='proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
      proxy_read_timeout 60s; proxy_max_temp_file_size 0;'

log "starting the origin (nginx + bench/origin-slow.mjs)"
start origin-slow node bench/origin-slow.mjs --timeout "$LIFETIME"
SLOW_PORT=$(wait_json origin-slow .port)
ORIGIN_PORT=$(free_port)
{ nginx_common origin; cat <<EOF
  upstream slow { server 127.0.0.1:$SLOW_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
    root $WORK/www;
    location /poll { proxy_pass http://slow; $PROXY_DIRECTIVES }
  }
}
EOF
} > "$WORK/origin.conf"
start origin "$NGINX" -e "$WORK/origin-error.log" -c "$WORK/origin.conf"
ORIGIN_WRAPPER=$LAST_PID
wait_http "http://127.0.0.1:$ORIGIN_PORT/1k"
ORIGIN_PID=$(child_of "$ORIGIN_WRAPPER")
ORIGIN=http://127.0.0.1:$ORIGIN_PORT

if [ "$PROFILE" = 0 ] && [ "$METERING" = 0 ]; then
# ---- nginx reverse proxy ----------------------------------------------------------------------
log "starting nginx as a reverse proxy in front of the origin"
NGINX_PORT=$(free_port)
{ nginx_common proxy; cat <<EOF
  upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location / { proxy_pass http://origin; $PROXY_DIRECTIVES }
  }
}
EOF
} > "$WORK/proxy.conf"
start proxy "$NGINX" -e "$WORK/proxy-error.log" -c "$WORK/proxy.conf"
PROXY_WRAPPER=$LAST_PID
wait_http "http://127.0.0.1:$NGINX_PORT/1k"
PROXY_PID=$(child_of "$PROXY_WRAPPER")

# ---- js-libp2p chain --------------------------------------------------------------------------
log "starting the js-libp2p chain (interop/bench-js-gateway.mjs -> libp2p -> interop/bench-js-exposer.mjs)"
start js-exposer node --expose-gc interop/bench-js-exposer.mjs --origin "$ORIGIN" --timeout "$LIFETIME"
JS_EXPOSER_WRAPPER=$LAST_PID
JS_EXPOSER_ADDR=$(wait_json js-exposer '.addrs[0]')
start js-gateway node --expose-gc interop/bench-js-gateway.mjs --exposer "$JS_EXPOSER_ADDR" --timeout "$LIFETIME"
JS_GATEWAY_WRAPPER=$LAST_PID
JS_PORT=$(wait_json js-gateway .port)
wait_http "http://127.0.0.1:$JS_PORT/ipns/bench/1k"
JS_PIDS="$(child_of "$JS_GATEWAY_WRAPPER") $(child_of "$JS_EXPOSER_WRAPPER")"
fi

# ---- Our chain, as deployed -------------------------------------------------------------------
# start_deployed_chain JDK_HOME LABEL: our chain the way a user runs it, two JVMs on JDK_HOME,
# through the ./ipns-link launcher (the jars it builds, as any user's first run does):
#   ./ipns-link gateway --address 127.0.0.1 --port 0 --data DIR --set KEY=VALUE... --connector ATTR=VALUE...
#   ./ipns-link --home HOME --json expose bench ORIGIN --publish-to <the gateway> --listen /ip4/127.0.0.1/tcp/0
# The exposer publishes the site's record to the gateway's routing v1 endpoint (--publish-to), the
# gateway resolves it from its own store. On success sets OUR_PORT, OUR_WARM (/ipns/<name>),
# OUR_GW_PID, OUR_EXP_PID (the two JVMs) and OUR_WRAPPERS.
#
# The gateway's settings, as a deployment would write them in server.xml (<Connector ...>) and
# its configuration (docs/configuration.md):
GW_CONNECTOR=(
  maxThreads=50             # the long-poll target: 2,000 waiting requests on 50 container threads
  minSpareThreads=10
  acceptCount=4096          # 2,000 long-polls connect at once (nginx: listen backlog=4096)
  maxKeepAliveRequests=-1   # as nginx's keepalive_requests 1000000 (Tomcat's default closes after 100)
  keepAliveTimeout=120000   # as nginx's keepalive_timeout 120s
)
GW_SET=(
  dnslink=false                 # no DNS on loopback
  max-streams-per-origin=4096   # the default 64 would queue the 2,000 long-polls to the one site
)
EXPOSE_LISTEN=/ip4/127.0.0.1/tcp/0

# build_launcher_jars: what `./ipns-link gateway` and `./ipns-link expose` build on their first
# run (the launcher's own up-to-date check; nothing when the jars are newer than the sources).
# The second check is the first exposer home's `key gen` (make_homes).
build_launcher_jars() {
  log "building the ./ipns-link jars if out of date (the launcher's own check)"
  fg_run "$WORK/build-gateway.out" timeout 900 ./ipns-link gateway --help
  [ "$FG_RC" = 0 ] || { echo "./ipns-link gateway --help failed ($FG_RC); see $WORK/fg.err" >&2; tail -20 "$WORK/fg.err" >&2; return 1; }
}

# make_homes: the exposers' state directories, each with one site key `bench`
# (./ipns-link --home DIR key gen bench): `warm` first (it builds the CLI's jar if needed), then
# cold1..K (TTFB_SAMPLES) in parallel. Each home is one exposer, hence one peer id; shared by the
# JDKs' runs.
make_homes() {
  local n wrappers=() w
  log "generating the site keys of $((TTFB_SAMPLES + 1)) exposer homes (./ipns-link key gen)"
  fg_run "$WORK/keygen-warm.out" timeout 900 env JAVA="${JDKS[0]}/bin/java" ./ipns-link --home "$WORK/homes/warm" key gen bench
  [ "$FG_RC" = 0 ] || { echo "./ipns-link key gen failed ($FG_RC); see $WORK/fg.err" >&2; tail -20 "$WORK/fg.err" >&2; return 1; }
  for n in $(seq 1 "$TTFB_SAMPLES"); do
    start "keygen-cold$n" env JAVA="${JDKS[0]}/bin/java" ./ipns-link --home "$WORK/homes/cold$n" key gen bench
    wrappers+=("$LAST_PID")
  done
  for w in "${wrappers[@]}"; do
    wait "$w" || { echo "./ipns-link key gen failed; see $WORK/keygen-*.err" >&2; return 1; }
  done
}

start_deployed_chain() {
  local jdk=$1 label=$2 args=() kv name i
  OUR_WRAPPERS=()
  COLD_WRAPPERS=()
  OUR_COLD=()
  if [ "$TTFB_SAMPLES" -gt 0 ] && [ -z "${WARMER_PORT:-}" ]; then
    # the second gateway that the cold exposers publish to and serve before they are measured (see
    # start_cold_exposers); one for the whole run
    start warmer env JAVA="$jdk/bin/java" ./ipns-link gateway --address 127.0.0.1 --port 0 \
      --data "$WORK/warmer" --set dnslink=false
    WARMER_PORT=$(wait_line warmer 'IPNS-Link gateway on http://127\.0\.0\.1:\K[0-9]+') || return 1
  fi
  args=(gateway --address 127.0.0.1 --port 0 --data "$WORK/gateway-$label")
  for kv in "${GW_SET[@]}"; do args+=(--set "$kv"); done
  for kv in "${GW_CONNECTOR[@]}"; do args+=(--connector "$kv"); done
  # the cold names' records are found where any gateway finds a name it was not told about: at a
  # routing endpoint (the warmer's /routing/v1)
  [ "$TTFB_SAMPLES" -gt 0 ] && args+=(--set "routing-endpoints=http://127.0.0.1:$WARMER_PORT")
  log "starting our chain on $label: ./ipns-link ${args[*]}"
  start "gateway-$label" env JAVA="$jdk/bin/java" ./ipns-link "${args[@]}"
  OUR_WRAPPERS+=("$LAST_PID")
  local gw_wrapper=$LAST_PID
  OUR_PORT=$(wait_line "gateway-$label" 'IPNS-Link gateway on http://127\.0\.0\.1:\K[0-9]+' "$gw_wrapper") || return 1
  OUR_GW_PID=$(child_of "$gw_wrapper") || return 1
  args=(--home "$WORK/homes/warm" --json expose bench "$ORIGIN" --publish-to "http://127.0.0.1:$OUR_PORT"
    --listen "$EXPOSE_LISTEN")
  log "  ./ipns-link ${args[*]}"
  start "expose-$label" env JAVA="$jdk/bin/java" ./ipns-link "${args[@]}"
  OUR_WRAPPERS+=("$LAST_PID")
  local exp_wrapper=$LAST_PID
  [ "$TTFB_SAMPLES" -gt 0 ] && start_cold_exposers "$jdk" "$label" "$WARMER_PORT"
  name=$(wait_doc "expose-$label" '.sites[0] | select(.publish.routers[0].ok == true) | .name' "$exp_wrapper") || return 1
  OUR_EXP_PID=$(child_of "$exp_wrapper") || return 1
  OUR_WARM=/ipns/$name
  wait_http "http://127.0.0.1:$OUR_PORT$OUR_WARM/1k" || return 1
  [ "$TTFB_SAMPLES" -gt 0 ] || return 0
  collect_cold
  # each cold exposer serves requests for WARMUP_ROUND s (a few dozen to a few hundred, with the load) through the other gateway (its JVM has loaded
  # and run the tunnel's code, as a running exposer has); our gateway has not seen their names
  local wrappers=()
  for i in "${!OUR_COLD[@]}"; do
    start "coldwarm$i-$label" wrk -t1 -c2 -d${WARMUP_ROUND}s "http://127.0.0.1:$WARMER_PORT${OUR_COLD[$i]}/1k"
    wrappers+=("$LAST_PID")
  done
  for i in "${wrappers[@]}"; do wait "$i" || true; done
  log "  cold exposers served (requests/s through the other gateway): $(cat "$WORK"/coldwarm*-"$label".out | awk '/^Requests\/sec:/ { printf "%.0f ", $2 }')"
}

# start_cold_exposers JDK_HOME LABEL WARMER_PORT: one more `ipns-link expose` per cold home (own
# JVM, own peer id), publishing to a second gateway only (WARMER_PORT), which our gateway has as its
# routing endpoint: an exposer holds a connection to each gateway it publishes to (its relay
# reservation), so publishing to ours would spare the sample its dial. Before the
# measurement each serves requests for a few seconds through that second gateway only, so that a
# first request through ours to a cold name pays what a visitor's first request to a name pays
# (record lookup + validation + a new libp2p dial: TCP + Noise + yamux + the first stream) and
# not the exposer JVM's own start-up (class loading, interpreter).
start_cold_exposers() {
  local jdk=$1 label=$2 warmer_port=$3 n
  COLD_WRAPPERS=()
  COLD_NAMES=()
  for n in $(seq 1 "$TTFB_SAMPLES"); do
    start "cold$n-$label" env JAVA="$jdk/bin/java" ./ipns-link --home "$WORK/homes/cold$n" --json expose bench \
      "$ORIGIN" --publish-to "http://127.0.0.1:$warmer_port" \
      --listen "$EXPOSE_LISTEN"
    COLD_WRAPPERS+=("$LAST_PID")
    COLD_NAMES+=("cold$n-$label")
  done
}
# collect_cold: sets OUR_COLD to the cold names (/ipns/<name>) whose exposer published to the second gateway.
collect_cold() {
  local i name
  OUR_COLD=()
  for i in "${!COLD_WRAPPERS[@]}"; do
    if name=$(wait_doc "${COLD_NAMES[$i]}" '.sites[0] | select(all(.publish.routers[]; .ok == true)) | .name' "${COLD_WRAPPERS[$i]}"); then
      OUR_COLD+=("/ipns/$name")
    else
      log "  ${COLD_NAMES[$i]} did not publish; one cold sample fewer"
    fi
  done
}

# stop_wrappers WRAPPER...: SIGTERM to all at once, then waits (bounded) for each.
stop_wrappers() {
  local w
  for w in "$@"; do kill -TERM "$w" 2>/dev/null || true; done
  for w in "$@"; do stop_wrapper "$w"; done
}

# ---- Our chain in one JVM (--one-jvm) ----------------------------------------------------------
# The launcher bench/our-chain/OurChain.java (a single-file Java program run with the modules'
# classpath; see its Javadoc and docs/benchmarks.md): gateway (IpnsLinkFilter in embedded Tomcat,
# same connector settings) -> libp2p -> exposer (TunnelService) -> origin, in one JVM, plus one
# exposer host per cold name. It prints ONE JSON line
#   {"event":"listening","port":P,"warm":"/ipns/<name>","cold":["/ipns/<name>",...]}
# and runs until SIGTERM. No deployment runs this shape; the column shows what the second JVM costs.
OUR_CHAIN_LAUNCHER=bench/our-chain/OurChain.java
OUR_CP="${OUR_CHAIN_CP:-}"   # OUR_CHAIN_CP: a prebuilt classpath (e.g. of another checkout); skips the build
# start_one_jvm_chain JDK_HOME LABEL: on success sets OUR_PORT, OUR_GW_PID, OUR_WRAPPERS, OUR_WARM, OUR_COLD.
start_one_jvm_chain() {
  local jdk=$1 label=$2
  if [ -z "$OUR_CP" ]; then
    log "building the modules for the one-JVM launcher (mvnw -o test-compile, reactor)"
    local cpfile=$WORK/our-chain.classpath
    # The reactor writes the file once per module; the filter (which has exposer-cli and
    # tomcat-embed-core in its test scope) comes last. Full plugin coordinates: offline, the
    # "dependency:" prefix does not resolve.
    fg_run "$WORK/mvn.log" timeout 900 ./mvnw -q ${MVN_OFFLINE--o} -pl ipns-link-filter -am test-compile \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
      -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test
    [ -s "$cpfile" ] || { echo "one-JVM chain: build failed, see $WORK/mvn.log and fg.err" >&2; tail -20 "$WORK/mvn.log" "$WORK/fg.err" >&2; return 1; }
    OUR_CP="ipns-link-filter/target/classes:$(cat "$cpfile")"
  fi
  start "one-jvm-$label" "$jdk/bin/java" -Xms256m -Xmx1g -Dlogback.configurationFile=bench/our-chain/logback.xml \
    -cp "$OUR_CP" "$OUR_CHAIN_LAUNCHER" \
    --origin "$ORIGIN" --threads 50 --cold-names "$TTFB_SAMPLES"
  OUR_WRAPPERS=("$LAST_PID")
  OUR_PORT=$(wait_json "one-jvm-$label" .port) || return 1
  OUR_WARM=$(head -1 "$WORK/one-jvm-$label.out" | jq -r .warm)
  mapfile -t OUR_COLD < <(head -1 "$WORK/one-jvm-$label.out" | jq -r '.cold[]')
  OUR_GW_PID=$(child_of "$LAST_PID") || return 1
  OUR_EXP_PID=""
  wait_http "http://127.0.0.1:$OUR_PORT$OUR_WARM/1k" || return 1
}

stop_wrapper() { kill -TERM "$1" 2>/dev/null || true; local i; for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }

# ---- Measurements -----------------------------------------------------------------------------
# wrk_point URL C [SECONDS]: one wrk run with bench/wrk-report.lua at C connections. On success sets
# WRK_RPS, WRK_P50_MS, WRK_P99_MS, WRK_ERRORS (connect + read + write + status + timeouts);
# otherwise returns 1 with WRK_FAILURE (wrk's last lines).
wrk_point() {
  local url=$1 c=$2 secs=${3:-$WRK_SECONDS} threads out line
  threads=$(( c < 2 ? 1 : 2 ))
  fg_run "$WORK/wrk.out" timeout $((secs + 30)) wrk -t$threads -c$c -d${secs}s \
    --timeout $WRK_TIMEOUT -s bench/wrk-report.lua "$url"
  out=$(cat "$WORK/wrk.out")
  line=$(grep '^BENCH ' <<<"$out" || true)
  if [ -z "$line" ]; then
    WRK_FAILURE=$(tail -2 <<<"$out" | tr '\n' ' ')
    return 1
  fi
  local requests duration_us bytes p50_us p99_us errors_connect errors_read errors_write errors_status errors_timeout
  eval "${line#BENCH }"
  WRK_RPS=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  WRK_P50_MS=$(awk -v v="$p50_us" 'BEGIN { printf "%.2f", v / 1000 }')
  WRK_P99_MS=$(awk -v v="$p99_us" 'BEGIN { printf "%.2f", v / 1000 }')
  WRK_ERRORS=$((errors_connect + errors_read + errors_write + errors_status + errors_timeout))
}

# jit_compiled PID...: per JVM, the methods its JIT has compiled so far (jstat -compiler's
# "Compiled", read from the JVM's performance data file without starting a JVM), "-" when unknown.
jit_compiled() { python3 bench/jit-compiles.py "$@"; }

# warm_up TARGET BASE_URL: load before measuring, until the target stops getting faster (a JVM's
# JIT compilers, V8's), on each path measured: first rounds of WARMUP_ROUND s of wrk -c64 on
# /1k, then on /1m (the large-body path: flow control, big frames, its own JIT work), each phase
# at least 3 rounds (2 for /1m) and until
#   - a target without WARM_JVMS: two rounds in a row did not beat the best round before them by
#     more than 5 %;
#   - our chains (WARM_JVMS="PID..."): the last round did not beat the best before it by more
#     than 5 %, and in the last round each JVM's JIT compiled fewer than JIT_QUIET_PER_S methods
#     per second (bench/jit-compiles.py): the requests/s of a chain whose JIT is still busy
#     climb for a while after they seem flat on a loaded machine.
# The /1k phase gets at most 2/3 of WARMUP_MAX, both together at most WARMUP_MAX. Records warmup_s.
warm_up() {
  local target=$1 base=$2 t0=$SECONDS max=$WARMUP_MAX
  # our chains are the targets whose JVMs are watched (WARM_JVMS); the others are baselines
  [ -n "${WARM_JVMS:-}" ] || max=$BASELINE_WARMUP_MAX
  WARM_TRAIL=""
  WARM_BOUND=0
  warm_phase "$base/1k" 3 $((max * 2 / 3)) "$t0"
  local trail_1k=$WARM_TRAIL
  warm_phase "$base/1m" 2 "$max" "$t0"
  result "$target" "warmup_s" $((SECONDS - t0))
  # the report warns that this target's figures may be those of a chain still warming up
  [ "$WARM_BOUND" = 0 ] || { [ -z "${WARM_JVMS:-}" ] && [ "$QUICK" = 1 ]; } || result "$target" "warmup_bound" 1
  log "  $target warm-up: $((SECONDS - t0)) s; requests/s of its ${WARMUP_ROUND} s rounds at 64 connections${WARM_JVMS:+ (methods JIT-compiled per round: gateway/exposer)}: /1k $trail_1k; /1m $WARM_TRAIL"
}

# warm_phase URL MIN_ROUNDS UNTIL_S T0: one phase of warm_up (above), ending at the latest
# UNTIL_S seconds after T0; its rounds' figures in WARM_TRAIL.
warm_phase() {
  local url=$1 min_rounds=$2 until_s=$3 t0=$4 best=0 flat=0 rounds=0 rps quiet pid n k jit
  local -A prev=()
  local counts=()
  WARM_TRAIL=""
  if [ -n "${WARM_JVMS:-}" ]; then
    # shellcheck disable=SC2086
    read -r -a counts <<<"$(jit_compiled $WARM_JVMS)"
    k=0; for pid in $WARM_JVMS; do prev[$pid]=${counts[$k]:--}; k=$((k + 1)); done
  fi
  while :; do
    fg_run "$WORK/warm.out" timeout $((WARMUP_ROUND + 30)) wrk -t2 -c64 -d${WARMUP_ROUND}s --timeout $WRK_TIMEOUT "$url"
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/warm.out")
    rps=${rps:-0}
    rounds=$((rounds + 1))
    if [ "$rps" -gt $((best + best / 20)) ]; then flat=0; else flat=$((flat + 1)); fi
    [ "$rps" -gt "$best" ] && best=$rps
    quiet=1
    jit=""
    if [ -n "${WARM_JVMS:-}" ]; then
      # shellcheck disable=SC2086
      read -r -a counts <<<"$(jit_compiled $WARM_JVMS)"
      k=0
      for pid in $WARM_JVMS; do
        n=${counts[$k]:--}; k=$((k + 1))
        if [ "$n" != - ] && [ "${prev[$pid]}" != - ]; then
          jit+="${jit:+/}$((n - prev[$pid]))"
          [ $((n - prev[$pid])) -lt $((JIT_QUIET_PER_S * WARMUP_ROUND)) ] || quiet=0
        else
          quiet=0
        fi
        prev[$pid]=$n
      done
    fi
    WARM_TRAIL+="${WARM_TRAIL:+ }$rps${jit:+ (jit $jit)}"
    if [ $rounds -ge "$min_rounds" ]; then
      if [ -n "${WARM_JVMS:-}" ]; then
        [ $quiet = 1 ] && [ $flat -ge 1 ] && return 0
      else
        [ $flat -ge 2 ] && return 0
      fi
    fi
    if [ $((SECONDS - t0 + WARMUP_ROUND)) -gt "$until_s" ]; then WARM_TRAIL+=" (bound reached)"; WARM_BOUND=1; return 0; fi
  done
}

# wrk_series TARGET BASE_URL: requests/s, p50, p99 for 1 KiB and 1 MiB at each connection count.
wrk_series() {
  local target=$1 base=$2 size c secs
  for size in 1k 1m; do
    for c in "${CONNS[@]}"; do
      [ "$QUICK" = 1 ] && [ $size = 1m ] && [ "$c" = 1 ] && continue
      # --quick: 4 s for 1 MiB (at 64 connections an answer takes 0.3-1 s; 2 s is a few rounds)
      secs=$WRK_SECONDS
      [ "$QUICK" = 1 ] && [ $size = 1m ] && [ "$secs" -lt 4 ] && secs=4
      if ! wrk_point "$base/$size" "$c" "$secs"; then
        log "  wrk $target $size c=$c failed: $WRK_FAILURE"
        continue
      fi
      result "$target" "rps_${size}_c$c" "$WRK_RPS"
      result "$target" "p50_${size}_c$c" "$WRK_P50_MS"
      result "$target" "p99_${size}_c$c" "$WRK_P99_MS"
      result "$target" "err_${size}_c$c" "$WRK_ERRORS"
      log "  $target $size c=$c: $WRK_RPS req/s, p50 $WRK_P50_MS ms, p99 $WRK_P99_MS ms, errors $WRK_ERRORS"
    done
  done
}

# container_alone TARGET KEY URL: requests/s and p50 of the chain's own Tomcat answering URL itself
# (the filter passes the request on; no chain), at each connection count, as KEY_rps_cC and
# KEY_p50_cC: how much of the chain's cost is the container's.
container_alone() {
  local target=$1 key=$2 url=$3 c
  for c in "${CONNS[@]}"; do
    if ! wrk_point "$url" "$c"; then
      log "  wrk $target container alone c=$c failed: $WRK_FAILURE"
      continue
    fi
    result "$target" "${key}_rps_c$c" "$WRK_RPS"
    result "$target" "${key}_p50_c$c" "$WRK_P50_MS"
    log "  $target container alone ($url) c=$c: $WRK_RPS req/s, p50 $WRK_P50_MS ms, errors $WRK_ERRORS"
  done
}

# download TARGET URL: MB/s (10^6 bytes) of one big download with curl, discarded; the better of
# DL_TRIES downloads (the machine is shared: one slow run says little about the chain).
download() {
  local target=$1 url=$2 out code size speed best="" try
  for try in $(seq 1 $DL_TRIES); do
    fg_run "$WORK/curl.out" curl -s -o /dev/null --max-time $DL_MAX_SECONDS \
      -w '%{http_code} %{size_download} %{speed_download}' "$url"
    out=$(cat "$WORK/curl.out")
    read -r code size speed <<<"$out"
    if [ "$code" != 200 ]; then log "  $target download failed: $out"; continue; fi
    speed=$(awk -v s="$speed" 'BEGIN { printf "%.0f", s / 1e6 }')
    if [ -z "$best" ] || [ "$speed" -gt "$best" ]; then best=$speed; fi
  done
  [ -n "$best" ] || return 0
  result "$target" "dl_mbps" "$best"
  log "  $target download $DL_FILE: $best MB/s (best of $DL_TRIES)"
}

# ttfb TARGET URL...: median time to first byte (ms), each URL on a fresh connection; with a
# HANGUP_URL set, it is POSTed before every sample (the js gateway drops its libp2p connection).
ttfb() {
  local target=$1; shift
  local samples=() u t
  for u in "$@"; do
    [ -n "${HANGUP_URL:-}" ] && curl -s -o /dev/null --max-time 5 -X POST "$HANGUP_URL"
    t=$(curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_starttransfer}' "$u" || true)
    [ "${t%% *}" = 200 ] || { log "  $target first byte: $u answered '$t'"; continue; }
    samples+=("$(awk -v s="${t#* }" 'BEGIN { printf "%.2f", s * 1000 }')")
  done
  [ ${#samples[@]} -gt 0 ] || return 0
  local median; median=$(printf '%s\n' "${samples[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  result "$target" "ttfb_cold_ms" "$median"
  log "  $target cold first byte: median $median ms of ${#samples[@]} (${samples[*]})"
}

# longpoll TARGET URL
longpoll() {
  local target=$1 url=$2 out
  fg_run "$WORK/longpoll.out" timeout $((LONGPOLL_TIMEOUT_MS / 1000 + 20)) node bench/longpoll.mjs \
    --url "$url" --n $LONGPOLL_N --timeout-ms $LONGPOLL_TIMEOUT_MS
  out=$(cat "$WORK/longpoll.out")
  if [ -z "$out" ]; then log "  $target long-poll: no result"; return 0; fi
  result "$target" "lp_ok" "$(jq -r .ok <<<"$out")"
  result "$target" "lp_p99_ms" "$(jq -r '.p99_ms // "n/a"' <<<"$out")"
  log "  $target long-poll x$LONGPOLL_N: $out"
}

# idle TARGET URL PID...: memory per idle keep-alive connection (1,000 of them) held on URL's
# server: resident set delta of PID... (and their children); for a JVM (IDLE_JVM_PID set) also
# the heap used after a full GC (jcmd GC.run + GC.heap_info). With IDLE_NODE_GC=1 the PIDs are
# node processes started with --expose-gc: SIGUSR2 makes them collect garbage before each reading.
node_gc() {
  [ "${IDLE_NODE_GC:-0}" = 1 ] || return 0
  local p; for p in "$@"; do kill -USR2 "$p" 2>/dev/null || true; done
  sleep 0.5
}
jvm_heap_used_kib() {
  "$IDLE_JDK/bin/jcmd" "$1" GC.run >/dev/null 2>&1 || true
  "$IDLE_JDK/bin/jcmd" "$1" GC.heap_info 2>/dev/null | awk '
    /used [0-9]+K/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K.*/, "", v); print v; exit } }'
}
idle() {
  local target=$1 url=$2; shift 2
  local before after heap_before=0 heap_after=0 name="idle-$target" i wrapper open
  sleep 1
  node_gc "$@"
  before=$(rss_kib "$@")
  [ -n "${IDLE_JVM_PID:-}" ] && heap_before=$(jvm_heap_used_kib "$IDLE_JVM_PID")
  start "$name" node bench/idle-conns.mjs --url "$url" --n $IDLE_N --hold-s 120
  wrapper=$LAST_PID
  for i in $(seq 1 $((START_TIMEOUT * 10))); do [ -s "$WORK/$name.out" ] && break; sleep 0.1; done
  if [ ! -s "$WORK/$name.out" ]; then log "  $target idle: connections not established"; stop_wrapper "$wrapper"; return 0; fi
  open=$(jq -r .open "$WORK/$name.out")
  sleep 1
  node_gc "$@"
  after=$(rss_kib "$@")
  [ -n "${IDLE_JVM_PID:-}" ] && heap_after=$(jvm_heap_used_kib "$IDLE_JVM_PID")
  stop_wrapper "$wrapper"
  if [ "$open" -gt 0 ]; then
    result "$target" "idle_rss_kib" "$(awk -v a="$after" -v b="$before" -v n="$open" 'BEGIN { printf "%.1f", (a - b) / n }')"
    if [ -n "${IDLE_JVM_PID:-}" ] && [ -n "$heap_after" ] && [ -n "$heap_before" ]; then
      result "$target" "idle_heap_kib" "$(awk -v a="$heap_after" -v b="$heap_before" -v n="$open" 'BEGIN { printf "%.1f", (a - b) / n }')"
    fi
  fi
  log "  $target idle x$open: RSS $before -> $after KiB"
}

# measure_target TARGET BASE_URL PIDS(space separated): the figures of one target, after its
# warm-up. Hooks (environment): BEFORE_WARMUP and AFTER_WARMUP (commands run around the warm-up;
# AFTER_WARMUP sets COLD_URLS), AFTER_TTFB; COLD_URLS (space separated) for the cold first byte.
measure_target() {
  local target=$1 base=$2 pids=$3
  log "measuring $target"
  ${BEFORE_WARMUP:-true}
  warm_up "$target" "$base"
  ${AFTER_WARMUP:-true}
  wrk_series "$target" "$base"
  download "$target" "$base/$DL_FILE"
  if [ "$TTFB_SAMPLES" -gt 0 ]; then
    # shellcheck disable=SC2086
    ttfb "$target" $COLD_URLS
    ${AFTER_TTFB:-true}
  fi
  # idle before the long-polls: requests a chain could not serve in time must not skew its memory
  # shellcheck disable=SC2086
  [ "$FULL_ONLY" = 1 ] && idle "$target" "$base/1k" $pids
  if [ "$FULL_ONLY" = 1 ]; then longpoll "$target" "$base/poll?ms=$LONGPOLL_DELAY_MS"; fi
}

cold_urls() { # BASE: TTFB_SAMPLES distinct paths
  local i; for i in $(seq 1 "$TTFB_SAMPLES"); do printf '%s/1k?cold=%s ' "$1" "$i"; done
}

jdk_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ { print $2 }'; }

# profile JDK_HOME: our chain (deployed: gateway and exposer JVMs) under wrk, with a flight
# recording of each JVM for the measured window only.
profile() {
  local jdk=$1 label size=${PROFILE_SIZE:-1k} c=${PROFILE_CONNS:-64} secs=${PROFILE_SECONDS:-20} url role pid
  [[ "$size" =~ ^(1k|1m)$ ]] || { echo "PROFILE_SIZE must be 1k or 1m" >&2; return 2; }
  [[ "$c$secs" =~ ^[0-9]+$ ]] && [ "$c" -ge 1 ] && [ "$secs" -ge 1 ] \
    || { echo "PROFILE_CONNS and PROFILE_SECONDS must be positive integers" >&2; return 2; }
  label=$(basename "$jdk")
  start_deployed_chain "$jdk" "$label" || { echo "our chain did not start on $jdk" >&2; return 1; }
  url="http://127.0.0.1:$OUR_PORT$OUR_WARM/$size"
  log "profile $label: warm-up ($((secs / 2 + 5)) s), then $secs s of wrk -c$c on /$size under JFR"
  fg_run /dev/null timeout $((secs + 60)) wrk -t2 -c"$c" -d$((secs / 2 + 5))s --timeout $WRK_TIMEOUT "$url"
  for role in gateway exposer; do
    pid=$OUR_GW_PID; [ $role = exposer ] && pid=$OUR_EXP_PID
    fg_run "$WORK/jcmd.out" timeout 60 "$jdk/bin/jcmd" "$pid" JFR.start name=bench \
      settings="$PWD/bench/profile.jfc" filename="$WORK/profile-$label-$role.jfr"
  done
  fg_run "$WORK/profile-$label.wrk" timeout $((secs + 60)) wrk -t$(( c < 2 ? 1 : 2 )) -c"$c" -d${secs}s \
    --timeout $WRK_TIMEOUT --latency "$url"
  for role in gateway exposer; do
    pid=$OUR_GW_PID; [ $role = exposer ] && pid=$OUR_EXP_PID
    fg_run "$WORK/jcmd.out" timeout 60 "$jdk/bin/jcmd" "$pid" JFR.stop name=bench
  done
  stop_wrappers "${OUR_WRAPPERS[@]}"
  echo "== $label ($(jdk_version "$jdk")), /$size, $c connections, $secs s"
  grep -E 'Requests/sec|^ +50%|^ +99%' "$WORK/profile-$label.wrk" || true
  for role in gateway exposer; do
    echo "-- $role JVM"
    python3 bench/jfr-summary.py --jfr-tool "$jdk/bin/jfr" "$WORK/profile-$label-$role.jfr"
    echo "recording: $WORK/profile-$label-$role.jfr"
  done
}

# ---- Metering cost (--metering) ----------------------------------------------------------------
# metering JDK_HOME: two gateways of our chain on JDK_HOME, alike but for `usage` (off: the
# baseline; on: metering every request and writing every METER_FLUSH, more often than the default
# 30 s), both serving one exposer (one `expose` publishing to both). After each gateway's warm-up
# (1 KiB at 64 connections), METER_ROUNDS rounds of wrk -c64 on /1k of METER_SECONDS each, off and
# on in turn (the order swapped every round), so that changes of the machine's load hit both
# alike. Prints the median requests/s of each and the ratio on/off; afterwards (gateway stopped)
# reads the metered gateway's H2 file to show that it did count the requests.
METER_FLUSH=5s
if [ "$QUICK" = 1 ]; then METER_ROUNDS=4; METER_SECONDS=3; else METER_ROUNDS=8; METER_SECONDS=10; fi
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
metering() {
  local jdk=$1 mode kv name i first second args=() wrappers=() off=() on=() exp_pid
  local -A port gw_pid
  for mode in off on; do
    args=(gateway --address 127.0.0.1 --port 0 --data "$WORK/meter-$mode" --set "usage=$mode"
      --set "usage-flush-interval=$METER_FLUSH")
    for kv in "${GW_SET[@]}"; do args+=(--set "$kv"); done
    for kv in "${GW_CONNECTOR[@]}"; do args+=(--connector "$kv"); done
    log "starting a gateway with usage=$mode: ./ipns-link ${args[*]}"
    start "meter-$mode" env JAVA="$jdk/bin/java" ./ipns-link "${args[@]}"
    wrappers+=("$LAST_PID")
    port[$mode]=$(wait_line "meter-$mode" 'IPNS-Link gateway on http://127\.0\.0\.1:\K[0-9]+') || return 1
    gw_pid[$mode]=$(child_of "$LAST_PID") || return 1
  done
  args=(--home "$WORK/homes/warm" --json expose bench "$ORIGIN" --publish-to "http://127.0.0.1:${port[off]}"
    --publish-to "http://127.0.0.1:${port[on]}" --listen "$EXPOSE_LISTEN")
  log "  ./ipns-link ${args[*]}"
  start meter-expose env JAVA="$jdk/bin/java" ./ipns-link "${args[@]}"
  wrappers+=("$LAST_PID")
  name=$(wait_doc meter-expose '.sites[0] | select(all(.publish.routers[]; .ok == true)) | .name') || return 1
  exp_pid=$(child_of "$LAST_PID") || return 1
  for mode in off on; do wait_http "http://127.0.0.1:${port[$mode]}/ipns/$name/1k" || return 1; done
  for mode in off on; do
    WARM_JVMS="${gw_pid[$mode]} $exp_pid" warm_phase "http://127.0.0.1:${port[$mode]}/ipns/$name/1k" 3 "$WARMUP_MAX" "$SECONDS"
    log "  usage=$mode warm-up, requests/s of its ${WARMUP_ROUND} s rounds: $WARM_TRAIL"
  done
  for i in $(seq 1 "$METER_ROUNDS"); do
    if [ $((i % 2)) = 1 ]; then first=off; second=on; else first=on; second=off; fi
    for mode in $first $second; do
      if ! wrk_point "http://127.0.0.1:${port[$mode]}/ipns/$name/1k" 64 "$METER_SECONDS"; then
        log "  round $i usage=$mode: wrk failed: $WRK_FAILURE"; continue
      fi
      if [ $mode = off ]; then off+=("$WRK_RPS"); else on+=("$WRK_RPS"); fi
      log "  round $i usage=$mode: $WRK_RPS req/s, p50 $WRK_P50_MS ms, p99 $WRK_P99_MS ms, errors $WRK_ERRORS"
    done
  done
  stop_wrappers "${wrappers[@]}"
  [ ${#off[@]} -gt 0 ] && [ ${#on[@]} -gt 0 ] || { echo "no measurement succeeded" >&2; return 1; }
  local m_off m_on metered
  m_off=$(median "${off[@]}"); m_on=$(median "${on[@]}")
  metered=$("$jdk/bin/java" -cp samples/target/ipns-link-samples.jar org.h2.tools.Shell \
    -url "jdbc:h2:file:$WORK/meter-on/ipns-records" -user sa -sql "SELECT COALESCE(SUM(requests), 0) FROM ipnslink_usage" \
    2>/dev/null | awk 'NR == 2 { print $1 }' || true)
  echo "== usage metering, $(basename "$jdk") ($(jdk_version "$jdk")), 1 KiB, 64 connections, $METER_ROUNDS rounds of $METER_SECONDS s each"
  echo "usage=off requests/s: ${off[*]} (median $m_off)"
  echo "usage=on  requests/s: ${on[*]} (median $m_on)"
  echo "ratio on/off (medians): $(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.3f", a / b }')"
  echo "requests the metered gateway wrote to ipnslink_usage: ${metered:-unknown} (warm-up included)"
}

build_launcher_jars || exit 1
[ "$PROFILE" = 1 ] && TTFB_SAMPLES=0   # --profile: the warm chain only
[ "$METERING" = 1 ] && TTFB_SAMPLES=0  # --metering: the warm chain only
make_homes || exit 1
if [ "$PROFILE" = 1 ]; then
  for jdk in "${JDKS[@]}"; do profile "$jdk" || exit $?; done
  exit 0
fi
if [ "$METERING" = 1 ]; then
  for jdk in "${JDKS[@]}"; do metering "$jdk" || exit $?; done
  exit 0
fi

START_EPOCH=$(date +%s)
if [ "$FULL_ONLY" = 1 ]; then
  COLD_URLS=$(cold_urls "$ORIGIN") measure_target origin "$ORIGIN" "$ORIGIN_PID"
fi
COLD_URLS=$(cold_urls "http://127.0.0.1:$NGINX_PORT") measure_target nginx "http://127.0.0.1:$NGINX_PORT" "$PROXY_PID"
js_cold=""; for i in $(seq 1 "$TTFB_SAMPLES"); do js_cold+="http://127.0.0.1:$JS_PORT/ipns/never-seen-$i/1k "; done
COLD_URLS=$js_cold IDLE_NODE_GC=1 HANGUP_URL="http://127.0.0.1:$JS_PORT/_bench/hangup" \
  measure_target js "http://127.0.0.1:$JS_PORT/ipns/bench" "$JS_PIDS"

# hooks of measure_target for our chains
our_cold_urls() {
  local u
  COLD_URLS=""; for u in "${OUR_COLD[@]}"; do COLD_URLS+="http://127.0.0.1:$OUR_PORT$u/1k "; done
}
deployed_cold_stop() { stop_wrappers "${COLD_WRAPPERS[@]}"; }

# our_failed TARGET: records why a chain has no figures (and keeps the work directory).
our_failed() {
  result "$1" "missing" "its start failed (see $2 in the kept work directory)"
  KEEP=1
}

JDK_LABELS=()
for jdk in "${JDKS[@]}"; do
  version=$(jdk_version "$jdk")
  label="jdk${version%%[.+]*}"
  JDK_LABELS+=("$label")
  printf '%s\t%s\t%s\n' "$label" "$jdk" "$version" >> "$WORK/jdks.tsv"
  if [ "$FULL_ONLY" = 1 ]; then
    log "JDK $label ($version): ChaCha20-Poly1305 reference"
    fg_run "$WORK/chacha.out" timeout 120 "$jdk/bin/java" bench/ChaChaSpeed.java "$CHACHA_SECONDS"
    chacha=$(awk -F= '/^CHACHA/ { print $2 }' "$WORK/chacha.out")
    [ -n "$chacha" ] && result "ours-$label" "chacha_mbps" "$chacha"
  fi
  if start_deployed_chain "$jdk" "$label"; then
    IDLE_JDK=$jdk IDLE_JVM_PID=$OUR_GW_PID WARM_JVMS="$OUR_GW_PID $OUR_EXP_PID" \
      AFTER_WARMUP=our_cold_urls AFTER_TTFB=deployed_cold_stop COLD_URLS="" measure_target "ours-$label" "http://127.0.0.1:$OUR_PORT$OUR_WARM" \
      "$OUR_GW_PID $OUR_EXP_PID"
    # the gateway's landing page: Tomcat, the filter passing the request on, a servlet (4 KiB of HTML)
    [ "$FULL_ONLY" = 1 ] && container_alone "ours-$label" landing "http://127.0.0.1:$OUR_PORT/"
    stop_wrappers "${OUR_WRAPPERS[@]}"
  else
    stop_wrappers "${OUR_WRAPPERS[@]}" "${COLD_WRAPPERS[@]}"
    our_failed "ours-$label" "gateway-$label.err / expose-$label.err"
  fi
  if [ "$ONE_JVM" = 1 ]; then
    if start_one_jvm_chain "$jdk" "$label"; then
      IDLE_JDK=$jdk IDLE_JVM_PID=$OUR_GW_PID WARM_JVMS=$OUR_GW_PID AFTER_WARMUP=our_cold_urls COLD_URLS="" \
        measure_target "one-$label" "http://127.0.0.1:$OUR_PORT$OUR_WARM" "$OUR_GW_PID"
      [ "$FULL_ONLY" = 1 ] && container_alone "one-$label" tomcat_1k "http://127.0.0.1:$OUR_PORT/_bench/1k"
      stop_wrappers "${OUR_WRAPPERS[@]}"
    else
      stop_wrappers "${OUR_WRAPPERS[@]}"
      our_failed "one-$label" "one-jvm-$label.err"
    fi
  fi
done
ELAPSED=$(( $(date +%s) - START_EPOCH ))

# ---- Report -----------------------------------------------------------------------------------
COMMAND="bench/run.sh"; [ "$QUICK" = 1 ] && COMMAND+=" --quick"
for j in "${JDKS[@]}"; do COMMAND+=" --jdk $j"; done
[ "$ONE_JVM" = 1 ] && COMMAND+=" --one-jvm"
REPORT_ARGS=(--results "$RESULTS" --jdks "$WORK/jdks.tsv" --command "$COMMAND" --quick "$QUICK"
  --ratios-out "$WORK/ratios.tsv" --warmup "$WARMUP_ROUND $WARMUP_MAX"
  --conns "${CONNS[*]}" --wrk-seconds "$WRK_SECONDS" --download "$DL_FILE" --ttfb-samples "$TTFB_SAMPLES"
  --longpoll "$LONGPOLL_N" --longpoll-delay-ms "$LONGPOLL_DELAY_MS" --idle "$IDLE_N" --elapsed "$ELAPSED")
[ "$WRITE_DOC" = 1 ] && REPORT_ARGS+=(--doc docs/benchmarks.md)
python3 bench/report.py "${REPORT_ARGS[@]}"
if [ "$KEEP" = 1 ]; then echo "ratios to the baselines: $WORK/ratios.tsv (compare two runs: python3 bench/report.py --compare A.tsv B.tsv)"; fi
