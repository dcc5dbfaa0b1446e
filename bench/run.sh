#!/usr/bin/env bash
# Benchmarks (issue 7): our chain against nginx and js-libp2p, side by side, on loopback.
#
#   bench/run.sh [--quick] [--jdk PATH]... [--no-doc] [--keep]
#   bench/run.sh --profile [--jdk PATH]...
#
#   --quick     fewer points and shorter runs (finishes in under 2 minutes)
#   --jdk PATH  a JDK home to run our chain (and the ChaCha20-Poly1305 reference) on; repeatable.
#               Default: the default JDK 17 and Temurin 25.
#   --no-doc    print the table only, do not rewrite the results section of docs/benchmarks.md
#   --keep      keep the work directory (configs, logs, raw results) instead of deleting it
#   --profile   no baselines and no table: our chain only, under wrk, recorded with JDK Flight
#               Recorder (Java samples every 2 ms, bench/profile.jfc) for the measured window only;
#               prints the summary of bench/jfr-summary.py per JDK and keeps the .jfr files.
#               Environment: PROFILE_SIZE=1k|1m, PROFILE_CONNS=64, PROFILE_SECONDS=20.
#   Environment: BENCH_CONNS="16 256", BENCH_SECONDS=N, BENCH_DOWNLOAD=1g|256m override the
#   connection counts, seconds per wrk point and download size; OUR_CHAIN_CP=<classpath> runs our
#   chain from a prebuilt classpath (no build); MVN_OFFLINE= lets Maven go online.
#
# Starts on 127.0.0.1, random free ports: the origin (nginx serving 1 KiB / 1 MiB / 256 MiB /
# 1 GiB files, plus bench/origin-slow.mjs behind it for /poll), nginx as a reverse proxy in front
# of the origin, the js-libp2p chain (interop/bench-js-gateway.mjs -> libp2p -> interop/
# bench-js-exposer.mjs -> origin) and our chain (start_our_chain below). Load from wrk (Debian
# package), curl and two small Node load programs (bench/longpoll.mjs, bench/idle-conns.mjs).
# Every process started is killed on exit; every wait is bounded. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
WRITE_DOC=1
KEEP=0
PROFILE=0
JDKS=()
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --jdk) [ $# -ge 2 ] || { echo "--jdk needs a path" >&2; exit 2; }; JDKS+=("$2"); shift ;;
    --no-doc) WRITE_DOC=0 ;;
    --keep) KEEP=1 ;;
    --profile) PROFILE=1; KEEP=1 ;;
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
  CONNS=(1 64); WRK_SECONDS=2; WARMUP_SECONDS=1; DL_FILE=256m; TTFB_SAMPLES=3
  CHACHA_SECONDS=1
else
  CONNS=(1 16 64 256); WRK_SECONDS=10; WARMUP_SECONDS=3; DL_FILE=1g; TTFB_SAMPLES=10
  CHACHA_SECONDS=3
fi
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
DL_TRIES=2               # big downloads per target, the best counts
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
# waits for it. In the background + wait, so that a signal to the script interrupts at once (bash
# defers traps while a foreground command runs); the exit trap then kills it.
fg_run() {
  local out=$1; shift
  "$@" >"$out" 2>>"$WORK/fg.err" &
  FG_PID=$!
  wait "$FG_PID" || true
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

if [ "$PROFILE" = 0 ]; then
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

# ---- Our chain (HOOK) -------------------------------------------------------------------------
# Our chain: gateway (io.ipnslink.filter.IpnsLinkFilter in embedded Tomcat, connector maxThreads
# 50) -> libp2p -> exposer (io.ipnslink.exposer.tunnel.TunnelService) -> the same origin, all in
# one JVM started by the launcher bench/our-chain/OurChain.java (a single-file Java program run
# with the modules' classpath; see its Javadoc and docs/benchmarks.md). It prints ONE JSON line
#   {"event":"listening","port":P,"warm":"/ipns/<name>","cold":["/ipns/<name>",...]}
# and runs until SIGTERM. Until TunnelService and IpnsLinkFilter are on main, start_our_chain
# fails with "our chain not available yet" and the table says "missing" for our chain: no number
# is ever made up.
OUR_CHAIN_LAUNCHER=bench/our-chain/OurChain.java

our_chain_missing() {
  local missing=()
  if [ -z "${OUR_CHAIN_CP:-}" ]; then
    [ -f exposer-cli/src/main/java/io/ipnslink/exposer/tunnel/TunnelService.java ] \
      || missing+=("exposer TunnelService (exposer-cli, READY-TUNNEL)")
    [ -f ipns-link-filter/src/main/java/io/ipnslink/filter/IpnsLinkFilter.java ] \
      || missing+=("gateway filter io.ipnslink.filter.IpnsLinkFilter (ipns-link-filter)")
  fi
  [ -f "$OUR_CHAIN_LAUNCHER" ] || missing+=("launcher $OUR_CHAIN_LAUNCHER")
  [ ${#missing[@]} = 0 ] || { printf '%s; ' "${missing[@]}" | sed 's/; $//'; }
}

OUR_CP="${OUR_CHAIN_CP:-}"   # OUR_CHAIN_CP: a prebuilt classpath (e.g. of another checkout); skips the build
# start_our_chain JDK_HOME LABEL: on success sets OUR_PORT, OUR_PID, OUR_WRAPPER, OUR_WARM, OUR_COLD.
start_our_chain() {
  local jdk=$1 label=$2 missing
  missing=$(our_chain_missing)
  if [ -n "$missing" ]; then
    echo "our chain not available yet: missing $missing" >&2
    return 1
  fi
  if [ -z "$OUR_CP" ]; then
    log "building the modules for our chain (mvnw -o test-compile, reactor)"
    local cpfile=$WORK/our-chain.classpath
    # The reactor writes the file once per module; the filter (which has exposer-cli and
    # tomcat-embed-core in its test scope) comes last. Full plugin coordinates: offline, the
    # "dependency:" prefix does not resolve.
    fg_run "$WORK/mvn.log" timeout 900 ./mvnw -q ${MVN_OFFLINE--o} -pl ipns-link-filter -am test-compile \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
      -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test
    [ -s "$cpfile" ] || { echo "our chain: build failed, see $WORK/mvn.log and fg.err" >&2; tail -20 "$WORK/mvn.log" "$WORK/fg.err" >&2; return 1; }
    OUR_CP="ipns-link-filter/target/classes:$(cat "$cpfile")"
  fi
  start "our-$label" "$jdk/bin/java" -Xms256m -Xmx1g -Dlogback.configurationFile=bench/our-chain/logback.xml \
    -cp "$OUR_CP" "$OUR_CHAIN_LAUNCHER" \
    --origin "$ORIGIN" --threads 50 --cold-names "$TTFB_SAMPLES"
  local wrapper=$LAST_PID
  OUR_WRAPPER=$wrapper
  OUR_PORT=$(wait_json "our-$label" .port) || return 1
  OUR_WARM=$(head -1 "$WORK/our-$label.out" | jq -r .warm)
  mapfile -t OUR_COLD < <(head -1 "$WORK/our-$label.out" | jq -r '.cold[]')
  OUR_PID=$(child_of "$wrapper") || return 1
  wait_http "http://127.0.0.1:$OUR_PORT$OUR_WARM/1k" || return 1
}

stop_wrapper() { kill -TERM "$1" 2>/dev/null || true; local i; for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }

# ---- Measurements -----------------------------------------------------------------------------
# wrk_point URL C: one wrk run with bench/wrk-report.lua at C connections. On success sets
# WRK_RPS, WRK_P50_MS, WRK_P99_MS, WRK_ERRORS (connect + read + write + status + timeouts);
# otherwise returns 1 with WRK_FAILURE (wrk's last lines).
wrk_point() {
  local url=$1 c=$2 threads out line
  threads=$(( c < 2 ? 1 : 2 ))
  fg_run "$WORK/wrk.out" timeout $((WRK_SECONDS + 30)) wrk -t$threads -c$c -d${WRK_SECONDS}s \
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

# wrk_series TARGET BASE_URL: requests/s, p50, p99 for 1 KiB and 1 MiB at each connection count.
wrk_series() {
  local target=$1 base=$2 size c
  fg_run /dev/null timeout $((WARMUP_SECONDS + 30)) wrk -t2 -c16 -d${WARMUP_SECONDS}s --timeout $WRK_TIMEOUT "$base/1k"
  for size in 1k 1m; do
    for c in "${CONNS[@]}"; do
      if ! wrk_point "$base/$size" "$c"; then
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

# container_alone TARGET URL: requests/s and p50 of the chain's own Tomcat answering 1 KiB from a
# servlet (the filter passes the request on; no chain): how much of the chain's cost is the
# container's.
container_alone() {
  local target=$1 url=$2 c conns=("${CONNS[@]}")
  [ "$QUICK" = 1 ] && conns=("${CONNS[-1]}") # --quick: the highest connection count only
  for c in "${conns[@]}"; do
    if ! wrk_point "$url" "$c"; then
      log "  wrk $target container alone c=$c failed: $WRK_FAILURE"
      continue
    fi
    result "$target" "tomcat_rps_1k_c$c" "$WRK_RPS"
    result "$target" "tomcat_p50_1k_c$c" "$WRK_P50_MS"
    log "  $target container alone 1k c=$c: $WRK_RPS req/s, p50 $WRK_P50_MS ms, errors $WRK_ERRORS"
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
  log "  $target cold first byte: median $median ms of ${#samples[@]}"
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

measure_target() { # TARGET BASE_URL COLD_URLS(space separated) PIDS(space separated)
  local target=$1 base=$2 cold=$3 pids=$4
  log "measuring $target"
  wrk_series "$target" "$base"
  download "$target" "$base/$DL_FILE"
  # shellcheck disable=SC2086
  ttfb "$target" $cold
  # idle before the long-polls: requests a chain could not serve in time must not skew its memory
  # shellcheck disable=SC2086
  idle "$target" "$base/1k" $pids
  longpoll "$target" "$base/poll?ms=$LONGPOLL_DELAY_MS"
}

cold_urls() { # BASE: TTFB_SAMPLES distinct paths
  local i; for i in $(seq 1 "$TTFB_SAMPLES"); do printf '%s/1k?cold=%s ' "$1" "$i"; done
}

# profile JDK_HOME: our chain under wrk with a flight recording of the measured window only.
profile() {
  local jdk=$1 label size=${PROFILE_SIZE:-1k} c=${PROFILE_CONNS:-64} secs=${PROFILE_SECONDS:-20} jfr url
  [[ "$size" =~ ^(1k|1m)$ ]] || { echo "PROFILE_SIZE must be 1k or 1m" >&2; return 2; }
  [[ "$c$secs" =~ ^[0-9]+$ ]] && [ "$c" -ge 1 ] && [ "$secs" -ge 1 ] \
    || { echo "PROFILE_CONNS and PROFILE_SECONDS must be positive integers" >&2; return 2; }
  label=$(basename "$jdk")
  start_our_chain "$jdk" "$label" || { echo "our chain did not start on $jdk" >&2; return 1; }
  url="http://127.0.0.1:$OUR_PORT$OUR_WARM/$size"
  log "profile $label: warm-up ($((secs / 2 + 5)) s), then $secs s of wrk -c$c on /$size under JFR"
  fg_run /dev/null timeout $((secs + 60)) wrk -t2 -c"$c" -d$((secs / 2 + 5))s --timeout $WRK_TIMEOUT "$url"
  jfr=$WORK/profile-$label.jfr
  fg_run "$WORK/jcmd.out" timeout 60 "$jdk/bin/jcmd" "$OUR_PID" JFR.start name=bench \
    settings="$PWD/bench/profile.jfc" filename="$jfr"
  fg_run "$WORK/profile-$label.wrk" timeout $((secs + 60)) wrk -t$(( c < 2 ? 1 : 2 )) -c"$c" -d${secs}s \
    --timeout $WRK_TIMEOUT --latency "$url"
  fg_run "$WORK/jcmd.out" timeout 60 "$jdk/bin/jcmd" "$OUR_PID" JFR.stop name=bench
  stop_wrapper "$OUR_WRAPPER"
  echo "== $label ($("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ { print $2 }')), /$size, $c connections, $secs s"
  grep -E 'Requests/sec|^ +50%|^ +99%' "$WORK/profile-$label.wrk" || true
  python3 bench/jfr-summary.py --jfr-tool "$jdk/bin/jfr" "$jfr"
  echo "recording: $jfr"
}

if [ "$PROFILE" = 1 ]; then
  for jdk in "${JDKS[@]}"; do profile "$jdk" || exit $?; done
  exit 0
fi

START_EPOCH=$(date +%s)
measure_target origin "$ORIGIN" "$(cold_urls "$ORIGIN")" "$ORIGIN_PID"
measure_target nginx "http://127.0.0.1:$NGINX_PORT" "$(cold_urls "http://127.0.0.1:$NGINX_PORT")" "$PROXY_PID"
js_cold=""; for i in $(seq 1 "$TTFB_SAMPLES"); do js_cold+="http://127.0.0.1:$JS_PORT/ipns/never-seen-$i/1k "; done
IDLE_NODE_GC=1 HANGUP_URL="http://127.0.0.1:$JS_PORT/_bench/hangup" measure_target js "http://127.0.0.1:$JS_PORT/ipns/bench" "$js_cold" "$JS_PIDS"

JDK_LABELS=()
for jdk in "${JDKS[@]}"; do
  version=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ { print $2 }')
  label="jdk${version%%[.+]*}"
  JDK_LABELS+=("$label")
  printf '%s\t%s\t%s\n' "$label" "$jdk" "$version" >> "$WORK/jdks.tsv"
  log "JDK $label ($version): ChaCha20-Poly1305 reference"
  fg_run "$WORK/chacha.out" timeout 120 "$jdk/bin/java" bench/ChaChaSpeed.java "$CHACHA_SECONDS"
  chacha=$(awk -F= '/^CHACHA/ { print $2 }' "$WORK/chacha.out")
  [ -n "$chacha" ] && result "ours-$label" "chacha_mbps" "$chacha"
  if start_our_chain "$jdk" "$label"; then
    cold=""; for u in "${OUR_COLD[@]}"; do cold+="http://127.0.0.1:$OUR_PORT$u/1k "; done
    IDLE_JDK=$jdk IDLE_JVM_PID=$OUR_PID measure_target "ours-$label" "http://127.0.0.1:$OUR_PORT$OUR_WARM" "$cold" "$OUR_PID"
    container_alone "ours-$label" "http://127.0.0.1:$OUR_PORT/_bench/1k"
    stop_wrapper "$OUR_WRAPPER"
  else
    why=$(our_chain_missing)
    if [ -z "$why" ]; then
      why="its start failed (see our-$label.err in the kept work directory)"
      KEEP=1
    else
      why="not available yet, missing: $why"
    fi
    result "ours-$label" "missing" "$why"
  fi
done
ELAPSED=$(( $(date +%s) - START_EPOCH ))

# ---- Report -----------------------------------------------------------------------------------
COMMAND="bench/run.sh"; [ "$QUICK" = 1 ] && COMMAND+=" --quick"
for j in "${JDKS[@]}"; do COMMAND+=" --jdk $j"; done
REPORT_ARGS=(--results "$RESULTS" --jdks "$WORK/jdks.tsv" --command "$COMMAND" --quick "$QUICK"
  --conns "${CONNS[*]}" --wrk-seconds "$WRK_SECONDS" --download "$DL_FILE" --ttfb-samples "$TTFB_SAMPLES"
  --longpoll "$LONGPOLL_N" --longpoll-delay-ms "$LONGPOLL_DELAY_MS" --idle "$IDLE_N" --elapsed "$ELAPSED")
[ "$WRITE_DOC" = 1 ] && REPORT_ARGS+=(--doc docs/benchmarks.md)
python3 bench/report.py "${REPORT_ARGS[@]}"
