#!/usr/bin/env bash
# Benchmark through relays: our chain as deployed, reached three ways, side by side on loopback.
#
#   bench/relay.sh [--quick] [--jdk PATH]... [--no-doc] [--keep]
#
#   --quick     5 rounds of 3 s, 5 cold samples, warm-up at most 90 s (about 4 minutes per JDK;
#               the full run: 7 rounds of 5 s, 7 cold samples, warm-up at most 180 s)
#   --jdk PATH  a JDK home to run the gateways and the exposers on; repeatable.
#               Default: the default JDK 17 and Temurin 25.
#   --no-doc    print the table only, do not rewrite the "Through relays" results of
#               docs/benchmarks.md (between <!-- relay:start --> and <!-- relay:end -->)
#   --keep      keep the work directory (logs, configs, raw results)
#
# Per JDK, on 127.0.0.1: the origin (nginx serving a 1 KiB file), gateway G1 (relay on, as by
# default), gateway G2 (relay off) and a warmer gateway W (see the cold first byte), all
# `./ipns-link gateway`, and the exposers as users run them (`./ipns-link expose`, own home, own
# key, own JVM). Three paths:
#   direct       exposer D, `--publish-to G1 --no-gateway-relay`, direct addresses: G1 dials it
#   reservation  exposer R, `--publish-to G1 --publish-to G2 --no-direct --no-gateway-relay
#                --relay G1` (G1's address from its /.well-known/ipns-link): visited through G1,
#                which uses R's reservation connection (no dial, no circuit)
#   relay        the same R visited through G2, which holds no reservation from it and dials the
#                circuit /G1/p2p-circuit/p2p/R (Noise and yamux end to end inside the circuit)
# Figures: 1 KiB requests/s, p50, p99 at 64 connections (wrk; the paths warmed up in turn until
# none gets faster and the JVMs' JITs are about done, then rounds of direct / reservation / relay
# in rotating order; medians); the cold first byte (a fresh exposer per sample and path kind, never
# seen by the gateway asked; curl's time_starttransfer; median). Every path also as a ratio to
# direct: the median over rounds (samples) of path / direct in the same round (sample). After the
# rounds, the exposers' connections are read (`ipns-link status --json`): D's from G1 (inbound),
# R's to G1 (outbound, its reservation connection) and R's from G2, which DCUtR would replace by
# a direct one if it dialed loopback addresses (it dials public ones only): the table says
# whether the relay figures are a circuit's. Every process started is killed on exit (also on
# Ctrl-C or SIGTERM: the exit trap runs at the latest when the bounded wait under way ends);
# every wait is bounded. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
WRITE_DOC=1
KEEP=0
JDKS=()
usage() { sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --jdk) [ $# -ge 2 ] || { echo "--jdk needs a path" >&2; exit 2; }; JDKS+=("$2"); shift ;;
    --no-doc) WRITE_DOC=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#JDKS[@]} -gt 0 ] || JDKS=(/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64)
for j in "${JDKS[@]}"; do
  [ -x "$j/bin/java" ] || { echo "not a JDK home (no bin/java): $j" >&2; exit 2; }
done

# ---- Parameters -------------------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
  ROUNDS=5; WRK_SECONDS=3; COLD_SAMPLES=5; WARMUP_ROUND=2; WARMUP_MAX=90
else
  ROUNDS=7; WRK_SECONDS=5; COLD_SAMPLES=7; WARMUP_ROUND=3; WARMUP_MAX=180
fi
CONNS=64
JIT_QUIET_PER_S=10   # warm-up: a JVM compiling fewer methods per second than this is about done
WRK_TIMEOUT=10s
START_TIMEOUT=120    # bound of every "wait until it listens / has published" (JVMs start side by side)
LIFETIME=3600        # hard lifetime of every process started (timeout(1) kills it after)
PATHS=(direct reservation relay)

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
for t in wrk curl jq python3 timeout; do
  command -v $t >/dev/null 2>&1 || { echo "missing tool: $t" >&2; exit 1; }
done
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

# ---- Work directory and cleanup ---------------------------------------------------------------
WORK=$(mktemp -d /tmp/ipnslink-relay.XXXXXX)
chmod 755 "$WORK"
RESULTS=$WORK/results.tsv   # JDK PATH METRIC INDEX VALUE
: > "$RESULTS"
PIDS=()   # every background process started (timeout(1) wrappers: killing one kills its child)
FG_PID=""

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  if [ -n "$FG_PID" ]; then pkill -TERM -P "$FG_PID" 2>/dev/null || true; kill -TERM "$FG_PID" 2>/dev/null || true; fi
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.3
  done
  for p in "${PIDS[@]}"; do pkill -KILL -P "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
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

# start NAME CMD...: CMD in the background under timeout(1) (stdout NAME.out, stderr NAME.err);
# LAST_PID is the wrapper's pid.
start() {
  local name=$1; shift
  timeout --kill-after=5 "$LIFETIME" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# fg_run OUTFILE CMD...: one measurement command, in the background + wait so that a signal
# interrupts at once; exit status in FG_RC.
fg_run() {
  local out=$1; shift
  "$@" >"$out" 2>>"$WORK/fg.err" &
  FG_PID=$!
  FG_RC=0
  wait "$FG_PID" || FG_RC=$?
  FG_PID=""
}

# child_of WRAPPER: the command a timeout(1) wrapper runs (the launcher execs java: the JVM).
child_of() {
  local i c
  for i in $(seq 1 100); do
    c=$(pgrep -P "$1" | head -1 || true)
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.1
  done
  echo "no child process under $1" >&2; return 1
}

# wait_line NAME REGEX WRAPPER: the first match (grep -P -o) of REGEX in NAME.out, bounded.
wait_line() {
  local name=$1 re=$2 pid=$3 i m
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    m=$(grep -oP -m1 "$re" "$WORK/$name.out" 2>/dev/null || true)
    if [ -n "$m" ]; then echo "$m"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "$name exited before it was ready:" >&2; tail -20 "$WORK/$name.err" >&2; return 1; }
    sleep 0.1
  done
  echo "$name not ready within ${START_TIMEOUT}s:" >&2; tail -20 "$WORK/$name.err" >&2; return 1
}

# wait_site NAME WRAPPER: the k51 name once `expose --json` says it published to every router.
wait_site() {
  local name=$1 pid=$2 i v
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    if [ -s "$WORK/$name.out" ] && jq -e . "$WORK/$name.out" >/dev/null 2>&1; then
      v=$(jq -r '.sites[0] | select(all(.publish.routers[]; .ok == true)) | .name' "$WORK/$name.out" 2>/dev/null || true)
      if [ -n "$v" ] && [ "$v" != null ]; then echo "$v"; return 0; fi
      echo "$name did not publish:" >&2; head -c 2000 "$WORK/$name.out" >&2; return 1
    fi
    kill -0 "$pid" 2>/dev/null || { echo "$name exited before it was ready:" >&2; tail -20 "$WORK/$name.err" >&2; return 1; }
    sleep 0.1
  done
  echo "$name did not publish within ${START_TIMEOUT}s" >&2; tail -20 "$WORK/$name.err" >&2; return 1
}

# wait_200 URL: bounded wait until URL answers 200.
wait_200() {
  local i
  for i in $(seq 1 $((START_TIMEOUT * 5))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$1" || true)" = 200 ] && return 0
    sleep 0.2
  done
  echo "$1 did not answer 200 within ${START_TIMEOUT}s" >&2; return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_wrapper() {
  local w=$1 i
  kill -TERM "$w" 2>/dev/null || true
  pkill -TERM -P "$w" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$w" 2>/dev/null || return 0; sleep 0.1; done
  pkill -KILL -P "$w" 2>/dev/null || true; kill -KILL "$w" 2>/dev/null || true
}
stop_wrappers() { local w; for w in "$@"; do kill -TERM "$w" 2>/dev/null || true; done; for w in "$@"; do stop_wrapper "$w"; done; }

# result JDK PATH METRIC INDEX VALUE
result() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$RESULTS"; }

jdk_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ { print $2 }'; }

# ---- Origin -----------------------------------------------------------------------------------
mkdir -p "$WORK/www" "$WORK/tmp"
head -c 1024 /dev/urandom > "$WORK/www/1k"
chmod 755 "$WORK/www" "$WORK/tmp"; chmod 644 "$WORK/www/"*
ORIGIN_PORT=$(free_port)
cat > "$WORK/origin.conf" <<EOF
daemon off;
master_process on;
worker_processes auto;
worker_rlimit_nofile 20000;
pid $WORK/origin.pid;
error_log $WORK/origin-error.log warn;
events { worker_connections 10000; multi_accept on; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 120s; keepalive_requests 1000000;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$ORIGIN_PORT backlog=4096; root $WORK/www; }
}
EOF
log "starting the origin (nginx)"
start origin "$NGINX" -e "$WORK/origin-error.log" -c "$WORK/origin.conf"
ORIGIN=http://127.0.0.1:$ORIGIN_PORT
wait_200 "$ORIGIN/1k"

# ---- Our deployables --------------------------------------------------------------------------
log "building the ./ipns-link jars if out of date (the launcher's own check)"
fg_run "$WORK/build.out" timeout 900 ./ipns-link gateway --help
[ "$FG_RC" = 0 ] || { echo "./ipns-link gateway --help failed; see $WORK/fg.err" >&2; tail -20 "$WORK/fg.err" >&2; exit 1; }

# The gateways as bench/run.sh deploys its one (same connector and keys). G1 also allows 64
# reservations per IP: every exposer of this run connects from 127.0.0.1 (default 8).
GW_CONNECTOR=(maxThreads=50 minSpareThreads=10 acceptCount=4096 maxKeepAliveRequests=-1 keepAliveTimeout=120000)
GW_SET=(dnslink=false max-streams-per-origin=4096)
gateway_args() { # DATA_DIR EXTRA_SET...
  local data=$1 kv; shift
  GW_ARGS=(gateway --address 127.0.0.1 --port 0 --data "$data")
  for kv in "${GW_SET[@]}" "$@"; do GW_ARGS+=(--set "$kv"); done
  for kv in "${GW_CONNECTOR[@]}"; do GW_ARGS+=(--connector "$kv"); done
}

# make_homes: one exposer home (one site key `bench`, one peer id) per exposer of a JDK's run:
# d, r, and per cold sample cd<i> (direct) and cr<i> (no direct address). Made afresh per JDK:
# a name a gateway has seen in an earlier run is nothing to the next JDK's gateways, but fresh
# homes keep the runs apart.
make_homes() { # LABEL JDK
  local label=$1 jdk=$2 h wrappers=() w
  local homes=(d r)
  for i in $(seq 1 "$COLD_SAMPLES"); do homes+=("cd$i" "cr$i"); done
  for h in "${homes[@]}"; do
    start "keygen-$h-$label" env JAVA="$jdk/bin/java" ./ipns-link --home "$WORK/homes-$label/$h" key gen bench
    wrappers+=("$LAST_PID")
  done
  for w in "${wrappers[@]}"; do
    wait "$w" || { echo "./ipns-link key gen failed; see $WORK/keygen-*-$label.err" >&2; return 1; }
  done
}

# expose NAME LABEL JDK HOME ARGS...: one `ipns-link expose` (own JVM); sets LAST_PID.
expose() {
  local name=$1 label=$2 jdk=$3 home=$4; shift 4
  start "$name-$label" env JAVA="$jdk/bin/java" ./ipns-link --home "$WORK/homes-$label/$home" --json expose bench \
    "$ORIGIN" --listen /ip4/127.0.0.1/tcp/0 "$@"
  echo "./ipns-link --home HOME --json expose bench ORIGIN --listen /ip4/127.0.0.1/tcp/0 $*" > "$WORK/$name-$label.cmd"
}

# ---- Measurements -----------------------------------------------------------------------------
# wrk_point URL: one wrk run at CONNS connections with bench/wrk-report.lua; sets WRK_RPS,
# WRK_P50_MS, WRK_P99_MS, WRK_ERRORS or returns 1 with WRK_FAILURE.
wrk_point() {
  local url=$1 secs=${2:-$WRK_SECONDS} out line
  fg_run "$WORK/wrk.out" timeout $((secs + 30)) wrk -t2 -c$CONNS -d${secs}s --timeout $WRK_TIMEOUT \
    -s bench/wrk-report.lua "$url"
  out=$(cat "$WORK/wrk.out")
  line=$(grep '^BENCH ' <<<"$out" || true)
  if [ -z "$line" ]; then WRK_FAILURE=$(tail -2 <<<"$out" | tr '\n' ' '); return 1; fi
  local requests duration_us bytes p50_us p99_us errors_connect errors_read errors_write errors_status errors_timeout
  eval "${line#BENCH }"
  WRK_RPS=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  WRK_P50_MS=$(awk -v v="$p50_us" 'BEGIN { printf "%.2f", v / 1000 }')
  WRK_P99_MS=$(awk -v v="$p99_us" 'BEGIN { printf "%.2f", v / 1000 }')
  WRK_ERRORS=$((errors_connect + errors_read + errors_write + errors_status + errors_timeout))
}

# warm_up LABEL JVM_PIDS: cycles of one WARMUP_ROUND s round of wrk -c64 per path (the paths share
# JVMs: G1 serves two of them and relays the third), until, after at least 3 cycles, no path's
# last round beat its best before by more than 5 % and each JVM compiled fewer than
# JIT_QUIET_PER_S methods per second in the last cycle (bench/jit-compiles.py); at most WARMUP_MAX s.
warm_up() {
  local label=$1 jvms=$2 t0=$SECONDS cycles=0 rps quiet n k was p flat_all jit
  local -A best=() flat=() trail=()
  local prev=() counts=()
  # shellcheck disable=SC2086
  read -r -a prev <<<"$(python3 bench/jit-compiles.py $jvms)"
  while :; do
    cycles=$((cycles + 1))
    flat_all=1
    for p in "${PATHS[@]}"; do
      fg_run "$WORK/warm.out" timeout $((WARMUP_ROUND + 30)) wrk -t2 -c$CONNS -d${WARMUP_ROUND}s --timeout $WRK_TIMEOUT "${URL[$p]}"
      rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/warm.out"); rps=${rps:-0}
      if [ "$rps" -gt $(( ${best[$p]:-0} + ${best[$p]:-0} / 20 )) ]; then flat[$p]=0; else flat[$p]=$(( ${flat[$p]:-0} + 1 )); fi
      [ "$rps" -gt "${best[$p]:-0}" ] && best[$p]=$rps
      [ "${flat[$p]}" -ge 1 ] || flat_all=0
      trail[$p]+="${trail[$p]:+ }$rps"
    done
    # shellcheck disable=SC2086
    read -r -a counts <<<"$(python3 bench/jit-compiles.py $jvms)"
    quiet=1; jit=""
    for k in "${!counts[@]}"; do
      n=${counts[$k]}; was=${prev[$k]:--}
      if [ "$n" != - ] && [ "$was" != - ]; then
        jit+="${jit:+/}$((n - was))"
        [ $((n - was)) -lt $((JIT_QUIET_PER_S * WARMUP_ROUND * 3)) ] || quiet=0
      else
        quiet=0
      fi
    done
    prev=("${counts[@]}")
    trail[jit]+="${trail[jit]:+ }$jit"
    if [ $cycles -ge 3 ] && [ $quiet = 1 ] && [ $flat_all = 1 ]; then break; fi
    if [ $((SECONDS - t0 + 3 * WARMUP_ROUND)) -gt "$WARMUP_MAX" ]; then
      log "  warm-up bound reached"; result "$label" - warmup_bound 0 1; break
    fi
  done
  result "$label" - warmup_s 0 $((SECONDS - t0))
  log "  warm-up: $((SECONDS - t0)) s, $cycles cycles; requests/s per ${WARMUP_ROUND} s round: direct ${trail[direct]}; reservation ${trail[reservation]}; relay ${trail[relay]}; methods JIT-compiled per cycle (G1/G2/D/R): ${trail[jit]}"
}

# cold SAMPLE_INDEX PATH URL: one cold first byte (fresh connection, a name the gateway has not seen).
cold() {
  local label=$1 i=$2 path=$3 url=$4 t
  t=$(curl -s -o /dev/null --max-time 30 -w '%{http_code} %{time_starttransfer}' "$url" || true)
  if [ "${t%% *}" != 200 ]; then log "  cold $path #$i: $url answered '$t'"; return 0; fi
  t=$(awk -v s="${t#* }" 'BEGIN { printf "%.2f", s * 1000 }')
  result "$label" "$path" ttfb_ms "$i" "$t"
  COLD_LINE+=" $path $t ms;"
}

# connections_of HOME PEER JDK: the exposer's connections with PEER (`ipns-link status --json`),
# one line each: "REMOTE_ADDRESS inbound|outbound".
connections_of() {
  local home=$1 peer=$2 jdk=$3
  timeout 120 env JAVA="$jdk/bin/java" ./ipns-link --home "$home" status --json 2>>"$WORK/status.err" \
    | jq -r --arg p "$peer" '.connections[] | select(.peer == $p) | "\(.remote) \(if .inbound then "inbound" else "outbound" end)"' 2>/dev/null || true
}

# ---- One JDK ----------------------------------------------------------------------------------
run_jdk() {
  local jdk=$1 label=$2 wrappers=() g1w g2w ww g1 g2 w doc relay_ma i
  make_homes "$label" "$jdk" || return 1
  log "[$label] starting gateways G1 (relay on), G2 (relay off), W (warmer for the cold exposers)"
  gateway_args "$WORK/g1-$label" relay-max-reservations-per-ip=64
  log "  ./ipns-link ${GW_ARGS[*]}"
  start "g1-$label" env JAVA="$jdk/bin/java" ./ipns-link "${GW_ARGS[@]}"; g1w=$LAST_PID; wrappers+=("$g1w")
  gateway_args "$WORK/g2-$label" relay=off
  log "  ./ipns-link ${GW_ARGS[*]}"
  start "g2-$label" env JAVA="$jdk/bin/java" ./ipns-link "${GW_ARGS[@]}"; g2w=$LAST_PID; wrappers+=("$g2w")
  gateway_args "$WORK/w-$label" relay=off
  start "w-$label" env JAVA="$jdk/bin/java" ./ipns-link "${GW_ARGS[@]}"; ww=$LAST_PID; wrappers+=("$ww")
  RUN_WRAPPERS=("${wrappers[@]}")
  local re='IPNS-Link gateway on http://127\.0\.0\.1:\K[0-9]+'
  g1=http://127.0.0.1:$(wait_line "g1-$label" "$re" "$g1w") || return 1
  g2=http://127.0.0.1:$(wait_line "g2-$label" "$re" "$g2w") || return 1
  w=http://127.0.0.1:$(wait_line "w-$label" "$re" "$ww") || return 1
  local g1_pid g2_pid; g1_pid=$(child_of "$g1w"); g2_pid=$(child_of "$g2w")
  doc=$(curl -s --max-time 10 "$g1/.well-known/ipns-link") || { echo "G1 gave no /.well-known/ipns-link" >&2; return 1; }
  echo "$doc" > "$WORK/g1-$label.well-known.json"
  [ "$(jq -r .relay <<<"$doc")" = true ] || { echo "G1 does not relay: $doc" >&2; return 1; }
  relay_ma="$(jq -r '.addresses[0]' <<<"$doc")/p2p/$(jq -r .peer <<<"$doc")"
  local g2_peer; g2_peer=$(curl -s --max-time 10 "$g2/.well-known/ipns-link" | jq -r .peer)
  log "  G1 $g1 (libp2p $relay_ma), G2 $g2 (peer $g2_peer), W $w"

  log "[$label] starting the exposers: D, R and $COLD_SAMPLES cold ones of each kind"
  local dw rw
  expose d "$label" "$jdk" d --publish-to "$g1" --no-gateway-relay; dw=$LAST_PID; RUN_WRAPPERS+=("$dw")
  expose r "$label" "$jdk" r --publish-to "$g1" --publish-to "$g2" --no-direct --no-gateway-relay --relay "$relay_ma"
  rw=$LAST_PID; RUN_WRAPPERS+=("$rw")
  local cdw=() crw=()
  for i in $(seq 1 "$COLD_SAMPLES"); do
    expose "cd$i" "$label" "$jdk" "cd$i" --publish-to "$g1" --publish-to "$w" --no-gateway-relay
    cdw+=("$LAST_PID"); RUN_WRAPPERS+=("$LAST_PID")
    expose "cr$i" "$label" "$jdk" "cr$i" --publish-to "$g1" --publish-to "$g2" --publish-to "$w" \
      --no-direct --no-gateway-relay --relay "$relay_ma"
    crw+=("$LAST_PID"); RUN_WRAPPERS+=("$LAST_PID")
  done
  local nd nr; nd=$(wait_site "d-$label" "$dw") || return 1; nr=$(wait_site "r-$label" "$rw") || return 1
  local d_pid r_pid; d_pid=$(child_of "$dw"); r_pid=$(child_of "$rw")
  declare -A URL=(
    [direct]="$g1/ipns/$nd/1k"
    [reservation]="$g1/ipns/$nr/1k"
    [relay]="$g2/ipns/$nr/1k")
  local p
  for p in "${PATHS[@]}"; do wait_200 "${URL[$p]}" || return 1; done
  log "  direct ${URL[direct]}; reservation ${URL[reservation]}; relay ${URL[relay]}"

  # the cold exposers: published; each serves requests for WARMUP_ROUND s through W only (all at
  # once: some 50-100 each on the loaded machine) (its JVM has
  # run the tunnel's code, as a running exposer has; the cr ones through a circuit via G1), so that
  # the first request through G1 / G2 pays what a visitor's first request to a name pays (record
  # lookup and validation; direct: a new libp2p dial; reservation: a new stream on the exposer's
  # connection; relay: a circuit through G1, Noise and yamux inside) and not a JVM start-up
  local cd_names=() cr_names=() n
  for i in $(seq 1 "$COLD_SAMPLES"); do
    n=$(wait_site "cd$i-$label" "${cdw[$((i - 1))]}") || return 1; cd_names+=("$n")
    n=$(wait_site "cr$i-$label" "${crw[$((i - 1))]}") || return 1; cr_names+=("$n")
  done
  local ww_wrk=()
  for n in "${cd_names[@]}" "${cr_names[@]}"; do
    wait_200 "$w/ipns/$n/1k" || return 1
    start "coldwarm-$n" wrk -t1 -c2 -d${WARMUP_ROUND}s "$w/ipns/$n/1k"; ww_wrk+=("$LAST_PID")
  done
  for i in "${ww_wrk[@]}"; do wait "$i" || true; done

  # warm-up, each path in turn (direct and reservation share G1; relay warms G2 and G1's relay)
  log "[$label] warm-up, the three paths in turn"
  warm_up "$label" "$g1_pid $g2_pid $d_pid $r_pid"

  log "[$label] $ROUNDS rounds of ${WRK_SECONDS} s at $CONNS connections, paths in rotating order"
  local r k order
  for r in $(seq 1 "$ROUNDS"); do
    order=()
    for k in 0 1 2; do order+=("${PATHS[$(( (k + r - 1) % 3 ))]}"); done
    for p in "${order[@]}"; do
      if ! wrk_point "${URL[$p]}"; then log "  round $r $p: wrk failed: $WRK_FAILURE"; continue; fi
      result "$label" "$p" rps "$r" "$WRK_RPS"
      result "$label" "$p" p50_ms "$r" "$WRK_P50_MS"
      result "$label" "$p" p99_ms "$r" "$WRK_P99_MS"
      result "$label" "$p" errors "$r" "$WRK_ERRORS"
      log "  round $r $p: $WRK_RPS req/s, p50 $WRK_P50_MS ms, p99 $WRK_P99_MS ms, errors $WRK_ERRORS"
    done
  done

  # Which connections carried each path: D's from G1 (G1 dialed it: inbound, direct), R's with G1
  # (R dialed it and holds its reservation on it: outbound, direct) and R's from G2 (through the
  # circuit via G1, unless DCUtR replaced it by a direct one: it dials public addresses only).
  local g1_peer remotes direct_n relayed_n
  g1_peer=$(jq -r .peer <<<"$doc")
  remotes=$(connections_of "$WORK/homes-$label/d" "$g1_peer" "$jdk")
  log "  D's connections with G1: $(tr '\n' ';' <<<"$remotes")"
  printf 'direct\t%s\n' "$(tr '\n' ';' <<<"$remotes")" >> "$WORK/conns-$label.tsv"
  remotes=$(connections_of "$WORK/homes-$label/r" "$g1_peer" "$jdk")
  log "  R's connections with G1: $(tr '\n' ';' <<<"$remotes")"
  printf 'reservation\t%s\n' "$(tr '\n' ';' <<<"$remotes")" >> "$WORK/conns-$label.tsv"
  remotes=$(connections_of "$WORK/homes-$label/r" "$g2_peer" "$jdk")
  printf 'relay\t%s\n' "$(tr '\n' ';' <<<"$remotes")" >> "$WORK/conns-$label.tsv"
  relayed_n=0; direct_n=0
  if [ -n "$remotes" ]; then
    relayed_n=$(grep -c 'p2p-circuit' <<<"$remotes" || true)
    direct_n=$(grep -vc 'p2p-circuit' <<<"$remotes" || true)
  fi
  result "$label" relay g2_conns_relayed 0 "$relayed_n"
  result "$label" relay g2_conns_direct 0 "$direct_n"
  log "  R's connections with G2 after the rounds: $relayed_n relayed, $direct_n direct ($(tr '\n' ';' <<<"$remotes"))"

  log "[$label] cold first byte, $COLD_SAMPLES samples per path"
  for i in $(seq 1 "$COLD_SAMPLES"); do
    COLD_LINE=""
    order=()
    for k in 0 1 2; do order+=("${PATHS[$(( (k + i - 1) % 3 ))]}"); done
    for p in "${order[@]}"; do
      case $p in
        direct) cold "$label" "$i" direct "$g1/ipns/${cd_names[$((i - 1))]}/1k" ;;
        reservation) cold "$label" "$i" reservation "$g1/ipns/${cr_names[$((i - 1))]}/1k" ;;
        relay) cold "$label" "$i" relay "$g2/ipns/${cr_names[$((i - 1))]}/1k" ;;
      esac
    done
    log "  sample $i:$COLD_LINE"
  done
  stop_wrappers "${RUN_WRAPPERS[@]}"
  RUN_WRAPPERS=()
}

START_EPOCH=$(date +%s)
: > "$WORK/jdks.tsv"
for jdk in "${JDKS[@]}"; do
  version=$(jdk_version "$jdk")
  label="jdk${version%%[.+]*}"
  printf '%s\t%s\t%s\n' "$label" "$jdk" "$version" >> "$WORK/jdks.tsv"
  RUN_WRAPPERS=()
  if ! run_jdk "$jdk" "$label"; then
    log "[$label] failed; logs in the kept work directory"
    KEEP=1
    stop_wrappers "${RUN_WRAPPERS[@]}"
    result "$label" - failed 0 1
  fi
done
ELAPSED=$(( $(date +%s) - START_EPOCH ))

# ---- Report -----------------------------------------------------------------------------------
COMMAND="bench/relay.sh"; [ "$QUICK" = 1 ] && COMMAND+=" --quick"
for j in "${JDKS[@]}"; do COMMAND+=" --jdk $j"; done
python3 - "$RESULTS" "$WORK/jdks.tsv" "$COMMAND" "$ELAPSED" "$ROUNDS" "$WRK_SECONDS" "$COLD_SAMPLES" \
  "$WARMUP_ROUND" "$WARMUP_MAX" "$([ "$WRITE_DOC" = 1 ] && echo docs/benchmarks.md || echo -)" <<'EOF'
import collections, datetime, os, statistics, sys

res, jdks_tsv, command, elapsed, rounds, secs, samples, wround, wmax, doc = sys.argv[1:]
data = collections.defaultdict(dict)          # (jdk, path, metric) -> {index: value}
for line in open(res):
    j, p, m, i, v = line.rstrip("\n").split("\t")
    data[(j, p, m)][i] = float(v)
jdks = [l.rstrip("\n").split("\t") for l in open(jdks_tsv) if l.strip()]
paths = ["direct", "reservation", "relay"]
names = {"direct": "direct (G1 dials)", "reservation": "reservation connection (G1)",
         "relay": "third-party relay (G2 via G1)"}

def fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"

def med(d):
    return statistics.median(d.values()) if d else None

def ratio(j, p, m):
    a, b = data.get((j, p, m), {}), data.get((j, "direct", m), {})
    rs = [a[i] / b[i] for i in a if i in b and b[i] > 0]
    return statistics.median(rs) if rs else None

def cell(j, p, m):
    v = med(data.get((j, p, m), {}))
    if v is None:
        return "-"
    if p == "direct":
        return fmt(v)
    r = ratio(j, p, m)
    return fmt(v) + (f" ({r:.2f}x)" if r is not None else "")

rows = [("1 KiB, 64 conn: requests/s", "rps"), ("1 KiB, 64 conn: p50 ms", "p50_ms"),
        ("1 KiB, 64 conn: p99 ms", "p99_ms"), ("1 KiB, 64 conn: errors (sum of rounds)", "errors"),
        (f"cold first byte: ms (median of {samples})", "ttfb_ms")]
# the run's date: when its last figure was written
now = datetime.datetime.fromtimestamp(os.path.getmtime(res), datetime.timezone.utc)
out = []
out.append(f"Run of {now:%Y-%m-%d %H:%M} UTC: `{command}` ({rounds} rounds of {secs} s per path at 64 connections, "
           f"{samples} cold samples per path; measurements took {elapsed} s).")
out.append("")
out.append(f"- Machine: {os.cpu_count()} cores, shared with other jobs (builds and tests of two other work trees) "
           "during the run; everything on 127.0.0.1, wrk and curl on the same cores. Absolute figures are noisy; "
           "the ratios compare paths measured in the same rounds.")
for label, home, version in jdks:
    out.append(f"- JDK {label}: {version} (`{home}`), the gateways' and the exposers' JVMs")
out.append(f"- Warm-up: cycles of one {wround} s round of wrk -c64 per path until none gets faster and the JITs are quiet (at most {wmax} s).")
out.append("")
out.append("In parentheses: the path's figure divided by the direct path's, median over the rounds (cold: the samples) "
           "of the ratio within one round (sample).")
out.append("")
hdr = "| figure |"; sep = "|---|"
for label, _, _ in jdks:
    for p in paths:
        hdr += f" {names[p]}, {label} |"; sep += "---:|"
out += [hdr, sep]
for title, m in rows:
    line = f"| {title} |"
    for label, _, _ in jdks:
        for p in paths:
            if m == "errors":
                d = data.get((label, p, m), {})
                line += f" {int(sum(d.values())) if d else '-'} |"
            else:
                line += f" {cell(label, p, m)} |"
    out.append(line)
out.append("")
for label, _, _ in jdks:
    if data.get((label, "-", "failed")):
        out.append(f"- {label}: the run FAILED (see the kept work directory); figures above are partial.")
    conns = os.path.join(os.path.dirname(res), f"conns-{label}.tsv")
    if os.path.exists(conns):
        c = dict(l.rstrip("\n").split("\t", 1) for l in open(conns) if "\t" in l)
        desc = lambda v: "; ".join(x.strip() for x in v.split(";") if x.strip()) or "none"
        out.append(f"- {label}: the exposers' connections after the rounds (`ipns-link status --json`): "
                   f"D with G1: {desc(c.get('direct', ''))} (G1 dialed D); "
                   f"R with G1: {desc(c.get('reservation', ''))} (R's reservation connection).")
    rel = med(data.get((label, "relay", "g2_conns_relayed"), {}))
    dirn = med(data.get((label, "relay", "g2_conns_direct"), {}))
    if rel is not None:
        if dirn:
            out.append(f"- {label}: after the rounds the exposer held {int(dirn)} DIRECT connection(s) from G2 "
                       f"(and {int(rel)} relayed): DCUtR upgraded the third-party path; its figures are partly direct.")
        elif rel:
            out.append(f"- {label}: after the rounds the exposer's connection(s) from G2: {int(rel)}, all through "
                       "the circuit (`/p2p-circuit`): DCUtR did not upgrade on loopback (it dials public addresses only).")
        else:
            out.append(f"- {label}: no connection from G2 found in the exposer's `status` after the rounds.")
    ws = med(data.get((label, "-", "warmup_s"), {}))
    if ws is not None:
        out.append(f"- {label}: warm-up {int(ws)} s before the rounds"
                   + (" (it reached its bound: figures may be those of JVMs still warming up)."
                      if data.get((label, "-", "warmup_bound")) else "."))
text = "\n".join(out)
print(text)
if doc != "-":
    s = open(doc).read()
    a, b = "<!-- relay:start -->", "<!-- relay:end -->"
    if a in s and b in s:
        s = s[: s.index(a) + len(a)] + "\n" + text + "\n" + s[s.index(b):]
        open(doc, "w").write(s)
        print(f"\n(written into {doc})")
    else:
        print(f"\n{doc} has no {a} ... {b} markers; not written", file=sys.stderr)
EOF
