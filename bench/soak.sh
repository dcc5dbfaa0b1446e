#!/usr/bin/env bash
# Soak (issue 15): our chain as deployed (`./ipns-link gateway` and `./ipns-link expose`, two JVMs)
# under a steady mixed load for a long time, watched for leaks.
#
#   bench/soak.sh [--minutes N] [--jdk PATH] [--churn-every SECONDS] [--no-doc] [--keep]
#
#   --minutes N          length of the load (default 30)
#   --jdk PATH           JDK home of the gateway and the exposer (default: the default JDK 17)
#   --churn-every S      every S seconds (default 120) a new site with a new key and a new peer
#                        id is exposed, published to the gateway, visited 20 times and stopped
#   --no-doc             do not rewrite the soak section of docs/benchmarks.md
#   --keep               keep the work directory (logs, samples)
#
# Load (bench/soak/SoakLoad.java, which is also the origin): GET 1 KiB at 100/s, POST 64 KiB at
# 10/s (CRC checked), 8 server-sent event streams and 50 long polls (5 s) back to back, one request
# a second to a random name that exists nowhere (404 expected), and the churned sites above. Every
# minute the gateway's and the exposer's JVMs are sampled: heap in use right after a full GC
# (jcmd GC.run, then GC.heap_info), live threads and open file descriptors (/proc), resident set.
# Verdict (exit status 0 only when all hold): no request failed; from minute 5 on, the heap after
# GC stays within 10 % of its minute-5 value, and the threads and descriptors do not trend upwards
# (Theil-Sen slope over the samples from minute 5 on, times the window: at most 2, or 5 % of
# their median when that is more).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MINUTES=30
JDK=/usr/lib/jvm/java-17-openjdk-amd64
CHURN_EVERY=120
WRITE_DOC=1
KEEP=0
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) [ $# -ge 2 ] || { echo "--minutes needs a number" >&2; exit 2; }; MINUTES=$2; shift ;;
    --jdk) [ $# -ge 2 ] || { echo "--jdk needs a path" >&2; exit 2; }; JDK=$2; shift ;;
    --churn-every) [ $# -ge 2 ] || { echo "--churn-every needs seconds" >&2; exit 2; }; CHURN_EVERY=$2; shift ;;
    --no-doc) WRITE_DOC=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$MINUTES" =~ ^[1-9][0-9]*$ ]] || { echo "--minutes must be a positive integer" >&2; exit 2; }
[[ "$CHURN_EVERY" =~ ^[1-9][0-9]*$ ]] || { echo "--churn-every must be a positive integer" >&2; exit 2; }
[ -x "$JDK/bin/java" ] && [ -x "$JDK/bin/jcmd" ] || { echo "not a JDK home (no bin/java, bin/jcmd): $JDK" >&2; exit 2; }
for tool in jq curl timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool on the PATH" >&2; exit 2; }
done
# The first minutes are warm-up: a verdict needs samples after minute 5.
FLAT_FROM=5
[ "$MINUTES" -gt "$FLAT_FROM" ] || echo "note: with --minutes $MINUTES there is nothing after minute $FLAT_FROM to judge; figures only" >&2
START_TIMEOUT=120
LIFETIME=$(( MINUTES * 60 + 1800 ))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipnslink-soak.XXXXXX")
PIDS=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.3
  done
  for p in "${PIDS[@]}"; do pkill -KILL -P "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# start NAME CMD...: CMD in the background under timeout(1), stdout NAME.out, stderr NAME.err.
start() {
  local name=$1; shift
  timeout --kill-after=5 "$LIFETIME" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
# child_of WRAPPER: the java process under a timeout(1) wrapper (the launcher execs java).
child_of() {
  local i c
  for i in $(seq 1 100); do
    c=$(pgrep -P "$1" | head -1 || true)
    if [ -n "$c" ]; then
      # through ./ipns-link: the launcher execs java, so the child is the JVM itself
      echo "$c"; return 0
    fi
    sleep 0.1
  done
  return 1
}
# wait_line NAME REGEX WRAPPER: the first match of REGEX (grep -P -o) in NAME.out.
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
# wait_site NAME WRAPPER: the k51 name once `expose --json` says it was published everywhere.
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
  echo "$name did not publish within ${START_TIMEOUT}s" >&2; return 1
}
stop_wrapper() {
  local w=$1 i
  kill -TERM "$w" 2>/dev/null || true
  pkill -TERM -P "$w" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$w" 2>/dev/null || return 0; sleep 0.1; done
  pkill -KILL -P "$w" 2>/dev/null || true; kill -KILL "$w" 2>/dev/null || true
}

# sample LABEL PID: one line "LABEL heap_kib threads fds rss_kib" after a full GC.
sample() {
  local label=$1 pid=$2 heap threads fds rss
  timeout 60 "$JDK/bin/jcmd" "$pid" GC.run >/dev/null 2>&1 || true
  heap=$(timeout 60 "$JDK/bin/jcmd" "$pid" GC.heap_info 2>/dev/null \
    | grep -oP '(garbage-first heap|heap) +total( reserved)? \d+K, (committed \d+K, )?used \K\d+(?=K)' | head -1 || true)
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo "")
  fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo "")
  # thread names without their numbers, counted: the report names the pools that grew
  timeout 60 "$JDK/bin/jcmd" "$pid" Thread.print 2>/dev/null | grep -oP '^"\K[^"]+' | sed -E 's/[0-9]+/N/g' \
    | sort | uniq -c | awk '{ c = $1; $1 = ""; sub(/^ /, ""); print c "\t" $0 }' >"$WORK/threads-$label-$MINUTE_SEEN.txt" || true
  echo "$label ${heap:-NA} ${threads:-NA} $fds ${rss:-NA}"
}

# ---- Start -------------------------------------------------------------------------------------
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+changes')
log "work directory $WORK; JDK $JDK ($("$JDK/bin/java" -version 2>&1 | head -1))"
log "building the ./ipns-link jars if out of date"
JAVA="$JDK/bin/java" timeout 900 ./ipns-link gateway --help >"$WORK/build.out" 2>"$WORK/build.err" \
  || { echo "./ipns-link gateway --help failed; see $WORK/build.err" >&2; tail -20 "$WORK/build.err" >&2; exit 1; }

start origin "$JDK/bin/java" -Xmx256m bench/soak/SoakLoad.java origin
ORIGIN_WRAPPER=$LAST_PID
ORIGIN_PORT=$(wait_line origin 'origin \K[0-9]+' "$ORIGIN_WRAPPER")
ORIGIN=http://127.0.0.1:$ORIGIN_PORT
log "origin on $ORIGIN"

# The gateway as bench/run.sh deploys it. Every visitor of this soak comes from 127.0.0.1, which
# the per-visitor limits leave alone by default (visitor-limits-exempt). Tomcat's request thread
# pool is fixed at 100 threads (minSpareThreads = maxThreads): a pool that may grow and shrink
# follows the load's bursts (on a shared machine, other jobs' too) and would hide or fake a
# growth of the gateway's own threads.
GW_ARGS=(gateway --address 127.0.0.1 --port 0 --data "$WORK/gateway"
  --set dnslink=false --set max-streams-per-origin=4096
  --connector maxThreads=100 --connector minSpareThreads=100
  --connector maxKeepAliveRequests=-1 --connector keepAliveTimeout=120000)
start gateway env JAVA="$JDK/bin/java" ./ipns-link "${GW_ARGS[@]}"
GW_WRAPPER=$LAST_PID
GW_PORT=$(wait_line gateway 'IPNS-Link gateway on http://127\.0\.0\.1:\K[0-9]+' "$GW_WRAPPER")
GW_PID=$(child_of "$GW_WRAPPER")
GW=http://127.0.0.1:$GW_PORT
log "gateway on $GW (pid $GW_PID)"

JAVA="$JDK/bin/java" timeout 300 ./ipns-link --home "$WORK/homes/main" key gen soak >/dev/null 2>"$WORK/keygen.err" \
  || { echo "key gen failed" >&2; cat "$WORK/keygen.err" >&2; exit 1; }
start expose env JAVA="$JDK/bin/java" ./ipns-link --home "$WORK/homes/main" --json expose soak "$ORIGIN" \
  --publish-to "$GW" --listen /ip4/127.0.0.1/tcp/0
EXP_WRAPPER=$LAST_PID
NAME=$(wait_site expose "$EXP_WRAPPER")
EXP_PID=$(child_of "$EXP_WRAPPER")
SITE=$GW/ipns/$NAME
log "site $SITE (exposer pid $EXP_PID)"
for i in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$SITE/get")" = 200 ] && break
  [ "$i" = 100 ] && { echo "the site does not answer through the gateway" >&2; exit 1; }
  sleep 0.2
done

# ---- Load, samples, churn ----------------------------------------------------------------------
log "load for $MINUTES min (a line a minute); churn every ${CHURN_EVERY}s"
start load "$JDK/bin/java" -Xmx512m bench/soak/SoakLoad.java load "$SITE" "$MINUTES"
LOAD_WRAPPER=$LAST_PID
SAMPLES=$WORK/samples.txt
: >"$SAMPLES"
CHURN_OK=0
CHURN_FAILED=0
CHURN_ERRORS=()
churn() {
  local k=$1 home w name ok=0 code j
  home="$WORK/homes/churn$k"
  if ! JAVA="$JDK/bin/java" timeout 300 ./ipns-link --home "$home" key gen "churn$k" >/dev/null 2>"$WORK/churn$k-keygen.err"; then
    CHURN_FAILED=$((CHURN_FAILED + 1)); CHURN_ERRORS+=("churn$k: key gen failed"); return
  fi
  start "churn$k" env JAVA="$JDK/bin/java" ./ipns-link --home "$home" --json expose "churn$k" "$ORIGIN" \
    --publish-to "$GW" --listen /ip4/127.0.0.1/tcp/0
  w=$LAST_PID
  if name=$(wait_site "churn$k" "$w"); then
    for j in $(seq 1 20); do
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$GW/ipns/$name/get" || true)
      if [ "$code" = 200 ]; then ok=$((ok + 1)); else CHURN_ERRORS+=("churn$k request $j: status $code"); fi
    done
  else
    CHURN_ERRORS+=("churn$k: did not publish")
  fi
  stop_wrapper "$w"
  rm -rf "$home"
  if [ "$ok" = 20 ]; then CHURN_OK=$((CHURN_OK + 1)); else CHURN_FAILED=$((CHURN_FAILED + 1)); fi
}

T0=$(date +%s)
NEXT_CHURN=$((T0 + CHURN_EVERY))
MINUTE_SEEN=0
K=0
while kill -0 "$LOAD_WRAPPER" 2>/dev/null; do
  NOW=$(date +%s)
  M=$(grep -c '"minute"' "$WORK/load.out" 2>/dev/null || true)
  if [ "${M:-0}" -gt "$MINUTE_SEEN" ]; then
    MINUTE_SEEN=$M
    { echo "minute $M $(sample gateway "$GW_PID")"; echo "minute $M $(sample exposer "$EXP_PID")"; } >>"$SAMPLES"
    log "minute $M: $(tail -1 "$WORK/load.out" | jq -c 'del(.first_errors)') | $(tail -2 "$SAMPLES" | awk '{ printf "%s heap %s KiB, %s threads, %s fds; ", $3, $4, $5, $6 }')"
  fi
  if [ "$NOW" -ge "$NEXT_CHURN" ] && [ "$NOW" -lt $((T0 + MINUTES * 60 - 60)) ]; then
    K=$((K + 1)); churn "$K"; NEXT_CHURN=$((NEXT_CHURN + CHURN_EVERY))
  fi
  sleep 1
done
LOAD_RC=0
wait "$LOAD_WRAPPER" || LOAD_RC=$?
TOTAL=$(grep '"total"' "$WORK/load.out" | tail -1 || true)
[ -n "$TOTAL" ] || { echo "the load ended without totals (exit $LOAD_RC):" >&2; tail -20 "$WORK/load.err" >&2; exit 1; }

# ---- Verdict -----------------------------------------------------------------------------------
VERDICT=$(python3 - "$SAMPLES" "$FLAT_FROM" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
flat_from = int(sys.argv[2])
out, ok = [], True
for who in ("gateway", "exposer"):
    s = [(int(r[1]), r[3], r[4], r[5], r[6]) for r in rows if r[2] == who]
    late = [x for x in s if x[0] >= flat_from]
    if not late or any(x[1] == "NA" for x in late):
        out.append(f"{who}: not enough samples after minute {flat_from}")
        continue
    mins = [x[0] for x in late]
    heap = [int(x[1]) for x in late]
    thr = [int(x[2]) for x in late]
    fds = [int(x[3]) for x in late]
    base = heap[0]
    spread = max(abs(h - base) for h in heap) / base * 100
    def trend(v):
        # Theil-Sen: the median of the slopes between every two samples (one sample's spike, a
        # site churning at that moment, does not move it), times the window: how much the count
        # grew over the run
        sl = sorted((v[j] - v[i]) / (mins[j] - mins[i]) for i in range(len(v)) for j in range(i + 1, len(v)))
        if not sl:
            return 0.0
        mid = len(sl) // 2
        med = sl[mid] if len(sl) % 2 else (sl[mid - 1] + sl[mid]) / 2
        return med * (mins[-1] - mins[0])
    def grows(v):
        g = trend(v)
        return g > max(2.0, 0.05 * sorted(v)[len(v) // 2]), g
    thr_grew, thr_g = grows(thr)
    fds_grew, fds_g = grows(fds)
    good = spread <= 10 and not thr_grew and not fds_grew
    ok &= good
    out.append(f"{who}: heap after GC {min(heap)}-{max(heap)} KiB from minute {flat_from} "
               f"(at most {spread:.1f} % from minute {flat_from}'s {base} KiB), threads {min(thr)}-{max(thr)} "
               f"(trend {thr_g:+.1f} over the run), fds {min(fds)}-{max(fds)} (trend {fds_g:+.1f}): "
               f"{'flat' if good else 'GROWS'}")
print("PASS" if ok else "FAIL")
print("\n".join(out))
EOF
)
REQ_FAILED=$(echo "$TOTAL" | jq '[to_entries[] | select(.key | endswith("_failed")) | .value] | add')
REQ_OK=$(echo "$TOTAL" | jq '[to_entries[] | select(.key | endswith("_ok")) | .value] | add')
PASS=1
[ "$REQ_FAILED" = 0 ] && [ "$CHURN_FAILED" = 0 ] || PASS=0
[ "$(echo "$VERDICT" | head -1)" = PASS ] || PASS=0
[ "$MINUTES" -gt "$FLAT_FROM" ] || PASS=0

REPORT=$WORK/report.md
{
  echo "Soak of $(date -u +%Y-%m-%d), commit $COMMIT, $MINUTES min,"
  echo "$("$JDK/bin/java" -version 2>&1 | head -1 | tr -d '"'), $(nproc) cores: **$([ $PASS = 1 ] && echo pass || echo FAIL)**."
  echo
  echo "- requests: $REQ_OK answered right, $REQ_FAILED failed ($(echo "$TOTAL" | jq -r 'to_entries | map(select(.key | endswith("_ok"))) | map("\(.key | sub("_ok$"; "")) \(.value)") | join(", ")'));"
  echo "  sites churned (new key, published, 20 visits, stopped): $CHURN_OK ok, $CHURN_FAILED failed"
  echo "$VERDICT" | tail -n +2 | sed 's/^/- /'
  [ "$REQ_FAILED" = 0 ] || echo "- first errors: $(echo "$TOTAL" | jq -c .first_errors)"
  [ ${#CHURN_ERRORS[@]} = 0 ] || echo "- churn errors: ${CHURN_ERRORS[*]:0:5}"
  for who in gateway exposer; do
    a="$WORK/threads-$who-$FLAT_FROM.txt"; b="$WORK/threads-$who-$MINUTE_SEEN.txt"
    [ -s "$a" ] && [ -s "$b" ] || continue
    grew=$(python3 - "$a" "$b" <<'PYEOF'
import sys
def read(p):
    d = {}
    for line in open(p):
        c, name = line.rstrip("\n").split("\t", 1)
        d[name] = int(c)
    return d
a, b = read(sys.argv[1]), read(sys.argv[2])
print(", ".join(f"{n} {a.get(n, 0)}->{b[n]}" for n in sorted(b) if b[n] > a.get(n, 0)))
PYEOF
)
    [ -z "$grew" ] || echo "- $who threads that grew from minute $FLAT_FROM to $MINUTE_SEEN: $grew"
  done
  echo
  echo "| minute | gateway heap after GC (KiB) | threads | fds | RSS (KiB) | exposer heap after GC (KiB) | threads | fds | RSS (KiB) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  paste -d' ' <(grep ' gateway ' "$SAMPLES") <(grep ' exposer ' "$SAMPLES") \
    | awk '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $4, $5, $6, $7, $11, $12, $13, $14 }'
} >"$REPORT"
cat "$REPORT"
if [ "$WRITE_DOC" = 1 ]; then
  python3 - docs/benchmarks.md "$REPORT" <<'EOF'
import sys, re
doc, rep = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
start, end = "<!-- soak:start -->", "<!-- soak:end -->"
if start not in text:
    sys.exit("docs/benchmarks.md has no soak markers")
text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: start + "\n" + rep + end, text, flags=re.S)
open(doc, "w").write(text)
EOF
  log "docs/benchmarks.md: soak section rewritten"
fi
[ $PASS = 1 ]
