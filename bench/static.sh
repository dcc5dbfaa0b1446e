#!/usr/bin/env bash
# Benchmark item 8: static offload (docs/static.md, docs/benchmarks.md "Static offload").
#
#   bench/static.sh [--quick] [--jdk PATH]... [--keep] [--no-doc] [--profile]
#
#   --quick     5 s per wrk run, 32 MiB instead of 100 MiB for the first fetch
#   --jdk PATH  a JDK home to run our gateway and exposer on; repeatable.
#               Default: the default JDK 17 and Temurin 25.
#   --keep      keep the work directory (configs, logs, raw results)
#   --no-doc    do not write the figures into docs/benchmarks.md (they are always printed)
#   --profile   record the gateway with JDK Flight Recorder (bench/profile.jfc) for the whole run and
#               print bench/jfr-summary.py of it per JDK; implies --keep and --no-doc
#   Environment: STATIC_SECONDS (wrk seconds per run, default 10), STATIC_BIG_MIB (default 100),
#   STATIC_APP_WRITE_BUF (the gateway connector's socket.appWriteBufSize, default 65536).
#
# Starts on 127.0.0.1, free ports: nginx as the site's origin (access log on, so (c) can count
# what reaches it), nginx serving the same files from disk (the baseline of (a)), and per JDK our
# chain as users run it: `./ipns-link gateway` and
# `./ipns-link expose bench ORIGIN --static /static=DIR --publish-to <that gateway>`.
# Measures:
#   (a) 1 MiB under the static prefix through our gateway from its warm block cache against nginx
#       serving the file from disk: wrk -c64, same run; ratio ours/nginx (target >= 0.8);
#   (b) the first fetch of a 100 MiB file under the static prefix (bitswap from the exposer into an
#       empty gateway cache), MB/s, beside the same file through the tunnel from the nginx origin;
#   (c) requests that reached the origin (its access log) under /static during the run of (a)
#       (goal: 0 after the warm-up).
# Every process started is killed on exit; every wait is bounded. The helpers below are those of
# bench/run.sh (start, fg_run, wait_*, free_port, wrk_point), copied: run.sh is not a library.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0 KEEP=0 NODOC=0 PROFILE=0
# Tomcat's socket write buffer for our gateway: docs/deployment.md's setting for sites that serve
# large files (64 KiB per system call instead of 8 KiB); STATIC_APP_WRITE_BUF=8192 measures Tomcat's default.
APP_WRITE_BUF=${STATIC_APP_WRITE_BUF:-65536}
JDKS=()
usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --keep) KEEP=1 ;;
    --no-doc) NODOC=1 ;;
    --profile) PROFILE=1; KEEP=1; NODOC=1 ;;
    --jdk) [ $# -ge 2 ] || { echo "--jdk needs a path" >&2; exit 2; }; JDKS+=("$2"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ ${#JDKS[@]} -gt 0 ] || JDKS=(/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64)
for j in "${JDKS[@]}"; do
  [ -x "$j/bin/java" ] || { echo "not a JDK home (no bin/java): $j" >&2; exit 2; }
done
SECONDS_PER_RUN=${STATIC_SECONDS:-10}
BIG_MIB=${STATIC_BIG_MIB:-100}
if [ "$QUICK" = 1 ]; then SECONDS_PER_RUN=${STATIC_SECONDS:-5}; BIG_MIB=${STATIC_BIG_MIB:-32}; fi
WARMUP_SECONDS=5          # wrk -c64 on the static 1 MiB before (a) is measured: JITs, block cache
WRK_TIMEOUT=10s
START_TIMEOUT=90
LIFETIME=1800
FETCH_MAX_SECONDS=300

for t in wrk curl jq python3; do
  command -v $t >/dev/null 2>&1 || { echo "missing tool: $t (Debian: apt-get install wrk curl jq python3)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "missing nginx (Debian: apt-get install nginx-light)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/ipnslink-static.XXXXXX)
chmod 755 "$WORK"
PIDS=()
FG_PID=""
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  if [ -n "$FG_PID" ]; then pkill -TERM -P "$FG_PID" 2>/dev/null || true; kill -TERM "$FG_PID" 2>/dev/null || true; fi
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.3
  done
  for p in "${PIDS[@]}"; do pkill -KILL -P "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ] || [ $rc != 0 ]; then echo "work directory: $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
start() {
  local name=$1; shift
  timeout --kill-after=5 "$LIFETIME" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
fg_run() {
  local out=$1; shift
  "$@" >"$out" 2>>"$WORK/fg.err" &
  FG_PID=$!
  FG_RC=0
  wait "$FG_PID" || FG_RC=$?
  FG_PID=""
}
stop_wrapper() { kill -TERM "$1" 2>/dev/null || true; local i; for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }
wait_line() {
  local name=$1 re=$2 pid=${3:-$LAST_PID} i m
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    m=$(grep -oP -m1 "$re" "$WORK/$name.out" 2>/dev/null || true)
    if [ -n "$m" ]; then echo "$m"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "$name exited; its stderr:" >&2; tail -20 "$WORK/$name.err" >&2; return 1; }
    sleep 0.1
  done
  echo "$name did not start within ${START_TIMEOUT}s" >&2; tail -20 "$WORK/$name.err" >&2; return 1
}
wait_doc() {
  local name=$1 filter=$2 pid=${3:-$LAST_PID} i v
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    if [ -s "$WORK/$name.out" ] && jq -e . "$WORK/$name.out" >/dev/null 2>&1; then
      v=$(jq -r "$filter" "$WORK/$name.out" 2>/dev/null || true)
      if [ -n "$v" ] && [ "$v" != null ]; then echo "$v"; return 0; fi
      echo "$name: unexpected output (no $filter):" >&2; head -c 2000 "$WORK/$name.out" >&2; return 1
    fi
    kill -0 "$pid" 2>/dev/null || { echo "$name exited; its stderr:" >&2; tail -20 "$WORK/$name.err" >&2; return 1; }
    sleep 0.1
  done
  echo "$name did not start within ${START_TIMEOUT}s" >&2; tail -20 "$WORK/$name.err" >&2; return 1
}
wait_http() {
  local i
  for i in $(seq 1 $((START_TIMEOUT * 10))); do
    curl -sf -o /dev/null --max-time 5 "$1" && return 0
    sleep 0.2
  done
  echo "$1 did not answer 2xx within ${START_TIMEOUT}s" >&2; return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wrk_point URL C SECONDS: sets WRK_RPS, WRK_P50_MS, WRK_P99_MS, WRK_ERRORS (bench/wrk-report.lua)
wrk_point() {
  local url=$1 c=$2 secs=$3 line
  fg_run "$WORK/wrk.out" timeout $((secs + 30)) wrk -t2 -c"$c" -d"${secs}s" --timeout $WRK_TIMEOUT -s bench/wrk-report.lua "$url"
  line=$(grep '^BENCH ' "$WORK/wrk.out" || true)
  [ -n "$line" ] || { echo "wrk failed on $url: $(tail -2 "$WORK/wrk.out" | tr '\n' ' ')" >&2; return 1; }
  local requests duration_us bytes p50_us p99_us errors_connect errors_read errors_write errors_status errors_timeout
  eval "${line#BENCH }"
  WRK_RPS=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  WRK_P50_MS=$(awk -v v="$p50_us" 'BEGIN { printf "%.2f", v / 1000 }')
  WRK_P99_MS=$(awk -v v="$p99_us" 'BEGIN { printf "%.2f", v / 1000 }')
  WRK_ERRORS=$((errors_connect + errors_read + errors_write + errors_status + errors_timeout))
}
# fetch_mbs URL: one GET, body discarded; prints MB/s (10^6 bytes) and checks the size
fetch_mbs() {
  local url=$1 want=$2 out
  out=$(curl -s -o /dev/null --max-time $FETCH_MAX_SECONDS -w '%{http_code} %{size_download} %{time_total}' "$url")
  read -r code size secs <<<"$out"
  [ "$code" = 200 ] && [ "$size" = "$want" ] || { echo "fetch $url: HTTP $code, $size of $want bytes" >&2; return 1; }
  awk -v b="$size" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }'
}

# ---- Files: the site's static directory and the origin's copy ---------------------------------
mkdir -p "$WORK/static" "$WORK/www/static" "$WORK/tmp"
head -c $((1024 * 1024)) /dev/urandom > "$WORK/static/1m"
head -c $((BIG_MIB * 1024 * 1024)) /dev/urandom > "$WORK/static/big"
cp "$WORK/static/1m" "$WORK/static/big" "$WORK/www/"
cp "$WORK/static/1m" "$WORK/www/static/"     # what the origin would answer if a request leaked to it
chmod -R a+rX "$WORK/www" "$WORK/static" "$WORK/tmp"

nginx_conf() { # NAME PORT ROOT ACCESS_LOG
  cat <<EOF
daemon off;
master_process on;
worker_processes auto;
pid $WORK/$1.pid;
error_log $WORK/$1-error.log warn;
events { worker_connections 4096; }
http {
  access_log $4;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 120s; keepalive_requests 1000000;
  client_body_temp_path $WORK/tmp/$1-body; proxy_temp_path $WORK/tmp/$1-proxy;
  fastcgi_temp_path $WORK/tmp/$1-fastcgi; uwsgi_temp_path $WORK/tmp/$1-uwsgi; scgi_temp_path $WORK/tmp/$1-scgi;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$2 backlog=4096; root $3; }
}
EOF
}
ORIGIN_PORT=$(free_port)
nginx_conf origin "$ORIGIN_PORT" "$WORK/www" "$WORK/origin-access.log" > "$WORK/origin.conf"
start origin "$NGINX" -e "$WORK/origin-error.log" -c "$WORK/origin.conf"
wait_http "http://127.0.0.1:$ORIGIN_PORT/1m"
ORIGIN=http://127.0.0.1:$ORIGIN_PORT
DISK_PORT=$(free_port)
nginx_conf disk "$DISK_PORT" "$WORK/static" off > "$WORK/disk.conf"
start disk "$NGINX" -e "$WORK/disk-error.log" -c "$WORK/disk.conf"
wait_http "http://127.0.0.1:$DISK_PORT/1m"

log "nginx from disk: warm-up and wrk -c64 on 1 MiB (${SECONDS_PER_RUN} s)"
fg_run "$WORK/warm.out" wrk -t2 -c64 -d${WARMUP_SECONDS}s "http://127.0.0.1:$DISK_PORT/1m"
wrk_point "http://127.0.0.1:$DISK_PORT/1m" 64 "$SECONDS_PER_RUN"
NGINX_RPS=$WRK_RPS NGINX_P50=$WRK_P50_MS NGINX_P99=$WRK_P99_MS

log "building the ./ipns-link jars if out of date (the launcher's own check)"
fg_run "$WORK/build.out" timeout 900 ./ipns-link gateway --help
[ "$FG_RC" = 0 ] || { echo "./ipns-link gateway --help failed; see $WORK/fg.err" >&2; exit 1; }
fg_run "$WORK/keygen.out" timeout 900 env JAVA="${JDKS[0]}/bin/java" ./ipns-link --home "$WORK/home" key gen bench
[ "$FG_RC" = 0 ] || { echo "./ipns-link key gen failed; see $WORK/fg.err" >&2; exit 1; }

ROWS=()
for jdk in "${JDKS[@]}"; do
  label=$(basename "$jdk")
  version=$("$jdk/bin/java" -version 2>&1 | head -1 | sed 's/"//g')
  log "our chain on $label ($version)"
  gw_opts=""
  if [ "$PROFILE" = 1 ]; then
    gw_opts="-XX:StartFlightRecording=settings=$PWD/bench/profile.jfc,dumponexit=true,filename=$WORK/gateway-$label.jfr"
  fi
  start "gateway-$label" env JAVA="$jdk/bin/java" IPNS_LINK_JAVA_OPTS="$gw_opts" ./ipns-link gateway --address 127.0.0.1 --port 0 \
    --data "$WORK/gateway-$label" --set dnslink=false --connector maxThreads=50 \
    --connector maxKeepAliveRequests=-1 --connector keepAliveTimeout=120000 \
    --connector "socket.appWriteBufSize=$APP_WRITE_BUF"
  gw=$LAST_PID
  port=$(wait_line "gateway-$label" 'IPNS-Link gateway on http://127\.0\.0\.1:\K[0-9]+' "$gw")
  start "expose-$label" env JAVA="$jdk/bin/java" ./ipns-link --home "$WORK/home" --json expose bench "$ORIGIN" \
    --static "/static=$WORK/static" --publish-to "http://127.0.0.1:$port" --listen /ip4/127.0.0.1/tcp/0
  exp=$LAST_PID
  name=$(wait_doc "expose-$label" '.sites[0] | select(.publish.routers[0].ok == true) | .name' "$exp")
  base="http://127.0.0.1:$port/ipns/$name"
  wait_http "$base/1m"   # through the tunnel: the site is up

  # (b) first: the gateway's block cache is empty
  log "  (b) first fetch of ${BIG_MIB} MiB by bitswap, then through the tunnel"
  big_bytes=$((BIG_MIB * 1024 * 1024))
  bitswap_mbs=$(fetch_mbs "$base/static/big" $big_bytes) || bitswap_mbs=failed
  tunnel_mbs=$(fetch_mbs "$base/big" $big_bytes) || tunnel_mbs=failed

  # (a) + (c)
  log "  (a) warm-up, then wrk -c64 on the static 1 MiB (${SECONDS_PER_RUN} s)"
  fg_run "$WORK/warm-$label.out" wrk -t2 -c64 -d${WARMUP_SECONDS}s "$base/static/1m"
  before=$(grep -c ' /static/' "$WORK/origin-access.log" || true)
  wrk_point "$base/static/1m" 64 "$SECONDS_PER_RUN"
  after=$(grep -c ' /static/' "$WORK/origin-access.log" || true)
  ratio=$(awk -v a="$WRK_RPS" -v b="$NGINX_RPS" 'BEGIN { printf "%.2f", a / b }')
  etag=$(curl -s -D - -o /dev/null "$base/static/1m" | grep -i '^etag:' | tr -d '\r' | cut -d' ' -f2)
  ROWS+=("| $version | $WRK_RPS ($WRK_P50_MS / $WRK_P99_MS ms) | $NGINX_RPS ($NGINX_P50 / $NGINX_P99 ms) | **$ratio** | $WRK_ERRORS | $bitswap_mbs | $tunnel_mbs | $((after - before)) |")
  log "  ours $WRK_RPS req/s, nginx $NGINX_RPS req/s, ratio $ratio, ETag $etag; bitswap $bitswap_mbs MB/s, tunnel $tunnel_mbs MB/s; origin saw $((after - before)) /static requests"
  stop_wrapper "$exp"
  stop_wrapper "$gw"
  if [ "$PROFILE" = 1 ]; then
    for i in $(seq 1 100); do [ -s "$WORK/gateway-$label.jfr" ] && break; sleep 0.1; done
    log "  profile of the gateway ($WORK/gateway-$label.jfr):"
    python3 bench/jfr-summary.py --jfr-tool "$jdk/bin/jfr" "$WORK/gateway-$label.jfr" >&2 || true
  fi
done

HEADER="| JDK | (a) ours: 1 MiB static, warm cache, req/s (p50 / p99) | nginx from disk | ratio | errors | (b) first ${BIG_MIB} MiB by bitswap, MB/s | same file through the tunnel, MB/s | (c) origin requests under /static |
|---|---|---|---|---|---|---|---|"
TABLE="$HEADER"
for r in "${ROWS[@]}"; do TABLE+=$'\n'"$r"; done
echo "$TABLE"
if [ "$NODOC" = 0 ]; then
  # replaces what is between the STATIC markers of docs/benchmarks.md ("Static offload" section)
  {
    echo "Run of $(date -u +%Y-%m-%d) ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
    echo "\`bench/static.sh$([ "$QUICK" = 1 ] && echo ' --quick')\`, ${SECONDS_PER_RUN} s per wrk run, gateway connector socket.appWriteBufSize=$APP_WRITE_BUF):"
    echo
    echo "$TABLE"
  } > "$WORK/static-results.md"
  python3 - "$WORK/static-results.md" <<'PY'
import re, sys
doc = open('docs/benchmarks.md').read()
body = open(sys.argv[1]).read()
begin, end = '<!-- STATIC:BEGIN (generated by bench/static.sh) -->', '<!-- STATIC:END -->'
if begin not in doc or end not in doc:
    sys.exit('docs/benchmarks.md has no STATIC markers')
i, j = doc.index(begin) + len(begin), doc.index(end)
open('docs/benchmarks.md', 'w').write(doc[:i] + '\n' + body + doc[j:])
PY
  log "figures written to docs/benchmarks.md (Static offload)"
fi
