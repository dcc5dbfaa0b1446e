#!/usr/bin/env bash
# Old against new, alternately: our chain as deployed (`./ipns-link gateway` + `./ipns-link expose`,
# two JVMs) built from two work trees, measured one after the other in ABBA order on the same
# machine, so that a change's effect can be told from the machine's drift. See docs/benchmarks.md,
# "Old against new".
#
#   bench/pairs.sh [--rounds N] [--seconds S] [--warm S] [--size 1k|1m] [--conns C] [--jdk PATH] OLD_TREE [NEW_TREE]
#
# OLD_TREE / NEW_TREE: checkouts of this repository (NEW_TREE defaults to this one), e.g. made with
# `git worktree add --detach /tmp/old <commit>`; each tree's launcher builds its own jars when they
# are missing or out of date (`./mvnw package`, nothing is installed). Both chains run with the
# launcher's defaults (Tomcat's connector as it comes), `dnslink=false` and
# `max-streams-per-origin=4096`, against one nginx origin serving 1 KiB and 1 MiB files.
# Per chain: start, warm-up (wrk -c64 for --warm seconds), one measured wrk point, stop.
# Prints each measurement and, per tree, the median requests/s and p50 and new/old.
set -euo pipefail
cd "$(dirname "$0")/.."
NEW_TREE=$(pwd)
ROUNDS=3; SECONDS_PER_POINT=10; WARM=20; SIZE=1k; CONNS=64; JDK=/usr/lib/jvm/temurin-25-jdk-amd64
OLD_TREE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --seconds) SECONDS_PER_POINT=$2; shift ;;
    --warm) WARM=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --conns) CONNS=$2; shift ;;
    --jdk) JDK=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    *) if [ -z "$OLD_TREE" ]; then OLD_TREE=$1; else NEW_TREE=$1; fi ;;
  esac
  shift
done
[ -n "$OLD_TREE" ] || { echo "usage: bench/pairs.sh [options] OLD_TREE [NEW_TREE] (see --help)" >&2; exit 2; }
for t in "$OLD_TREE" "$NEW_TREE"; do
  [ -x "$t/ipns-link" ] || { echo "not a checkout of this project (no ./ipns-link): $t" >&2; exit 2; }
done
for v in "$ROUNDS" "$SECONDS_PER_POINT" "$WARM" "$CONNS"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds/--seconds/--warm/--conns take positive integers: $v" >&2; exit 2; }
done
case "$SIZE" in 1k|1m) ;; *) echo "--size is 1k or 1m" >&2; exit 2 ;; esac
[ -x "$JDK/bin/java" ] || { echo "not a JDK home: $JDK" >&2; exit 2; }
for t in wrk curl jq nginx; do command -v $t >/dev/null 2>&1 || [ -x /usr/sbin/$t ] || { echo "missing tool: $t" >&2; exit 1; }; done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

WORK=$(mktemp -d /tmp/ipnslink-pairs.XXXXXX)
chmod 755 "$WORK" # nginx's workers (not root) read the origin's files
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  echo "work directory: $WORK" >&2
}
trap cleanup EXIT
log() { echo "[$(date -u +%T)] $*" >&2; }
start() { # NAME CMD...: in the background under timeout(1), output in $WORK/NAME.out/.err
  local name=$1; shift
  timeout --kill-after=5 3600 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LAST_PID=$!; PIDS+=("$LAST_PID")
}
wait_match() { # NAME REGEX PID: the first match of REGEX (grep -P -o) in NAME.out, within 120 s
  local i m
  for i in $(seq 1 1200); do
    m=$(grep -oP -m1 "$2" "$WORK/$1.out" 2>/dev/null || true)
    [ -n "$m" ] && { echo "$m"; return 0; }
    kill -0 "$3" 2>/dev/null || { echo "$1 exited; its stderr:" >&2; tail -20 "$WORK/$1.err" >&2; return 1; }
    sleep 0.1
  done
  echo "$1 not ready within 120 s" >&2; return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# the origin: nginx serving fixed files
mkdir -p "$WORK/www"
head -c 1024 /dev/urandom >"$WORK/www/1k"
head -c 1048576 /dev/urandom >"$WORK/www/1m"
ORIGIN_PORT=$(free_port)
cat >"$WORK/nginx.conf" <<EOF
daemon off; worker_processes 2; pid $WORK/nginx.pid; error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 120s;
  server { listen 127.0.0.1:$ORIGIN_PORT backlog=4096; root $WORK/www; } }
EOF
start origin "$NGINX" -c "$WORK/nginx.conf"
for i in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/1k" && break; sleep 0.1; done
ORIGIN=http://127.0.0.1:$ORIGIN_PORT

# the launchers' jars (built by each tree's launcher when out of date) and one site key per tree
for tree in "$OLD_TREE" "$NEW_TREE"; do
  log "building the jars of $tree if out of date"
  (cd "$tree" && JAVA="$JDK/bin/java" timeout 1200 ./ipns-link gateway --help >/dev/null 2>"$WORK/build.err") \
    || { echo "building $tree failed:" >&2; tail -20 "$WORK/build.err" >&2; exit 1; }
done

# run_chain LABEL TREE: one chain started, warmed, measured and stopped; appends to results.tsv
run_chain() {
  local label=$1 tree=$2 n=$3 gw ex port name out rps p50
  rm -rf "$WORK/home-$label" "$WORK/data-$label-$n"
  (cd "$tree" && JAVA="$JDK/bin/java" timeout 300 ./ipns-link --home "$WORK/home-$label" key gen bench >/dev/null 2>&1) \
    || { echo "key gen in $tree failed" >&2; return 1; }
  start "gw-$label-$n" env JAVA="$JDK/bin/java" "$tree/ipns-link" gateway --address 127.0.0.1 --port 0 \
    --data "$WORK/data-$label-$n" --set dnslink=false --set max-streams-per-origin=4096
  gw=$LAST_PID
  port=$(wait_match "gw-$label-$n" 'IPNS-Link gateway on http://127\.0\.0\.1:\K[0-9]+' "$gw")
  start "ex-$label-$n" env JAVA="$JDK/bin/java" "$tree/ipns-link" --home "$WORK/home-$label" --json expose bench \
    "$ORIGIN" --publish-to "http://127.0.0.1:$port" --listen /ip4/127.0.0.1/tcp/0
  ex=$LAST_PID
  name=$(wait_match "ex-$label-$n" '"name" : "\K[a-z0-9]+' "$ex")
  local url="http://127.0.0.1:$port/ipns/$name/$SIZE" i
  local deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null --max-time 2 "$url" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
  curl -sf -o /dev/null --max-time 5 "$url" || { echo "$label: $url does not answer 200 (see $WORK)" >&2; return 1; }
  wrk -t2 -c64 -d"${WARM}s" --timeout 10s "$url" >"$WORK/warm-$label-$n.out" 2>&1 || true
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_PER_POINT}s" --timeout 10s --latency "$url" 2>&1 || true)
  echo "$out" >"$WORK/wrk-$label-$n.out"
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; print v }' <<<"$out")
  local errs; errs=$(grep -c "Socket errors\|Non-2xx" <<<"$out" || true)
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$n" "${rps:-0}" "${p50:-nan}" "$errs" >>"$WORK/results.tsv"
  log "  $label round $n: ${rps:-?} requests/s, p50 ${p50:-?} ms$([ "$errs" != 0 ] && echo ", with errors (see $WORK/wrk-$label-$n.out)")"
  kill -TERM "$ex" "$gw" 2>/dev/null || true
  wait "$ex" "$gw" 2>/dev/null || true
}

log "$ROUNDS rounds, ABBA order: wrk -c$CONNS on /$SIZE for ${SECONDS_PER_POINT}s after ${WARM}s of warm-up; JDK $("$JDK/bin/java" -version 2>&1 | head -1)"
: >"$WORK/results.tsv"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order=(old new); else order=(new old); fi
  for label in "${order[@]}"; do
    if [ "$label" = old ]; then run_chain old "$OLD_TREE" "$r"; else run_chain new "$NEW_TREE" "$r"; fi
  done
done
python3 - "$WORK/results.tsv" "$OLD_TREE" "$NEW_TREE" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for label, n, rps, p50, errs in rows:
    by.setdefault(label, []).append((float(rps), float(p50)))
med = {k: (statistics.median(r for r, _ in v), statistics.median(p for _, p in v)) for k, v in by.items()}
print(f"old: {sys.argv[2]}\nnew: {sys.argv[3]}")
print("| chain | requests/s (each round) | median | p50 ms (median) |")
print("|---|---|---:|---:|")
for k in ("old", "new"):
    print(f"| {k} | {', '.join(f'{r:,.0f}' for r, _ in by.get(k, []))} | {med[k][0]:,.0f} | {med[k][1]:.2f} |")
if "old" in med and "new" in med and med["old"][0] > 0:
    print(f"new/old: requests/s {med['new'][0] / med['old'][0]:.2f}x, p50 {med['new'][1] / med['old'][1]:.2f}x")
EOF
