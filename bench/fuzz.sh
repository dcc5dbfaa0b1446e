#!/usr/bin/env bash
# Fuzzing (issue 15, item 4): runs the Jazzer @FuzzTest targets of core, p2p, routing, tunnel and filter in
# fuzzing mode, one after the other, each for DURATION, and writes a summary.
#
#   bench/fuzz.sh [DURATION] [FILTER]
#
#   DURATION  per target, in Jazzer's syntax: 30s, 5m, 1h (default 5m)
#   FILTER    only the targets whose "module Class#method" contains this text (e.g. Yamux, #cbor)
#   Environment: FUZZ_JDK=<java home> runs on another JDK (default: the java on PATH);
#   FUZZ_XMX=1g the heap of each run (an unbounded allocation then fails as an OutOfMemoryError);
#   FUZZ_NO_BUILD=1 skips the Maven build (test-compile) of the modules.
#
# Each target runs in its own JVM through the JUnit console launcher with JAZZER_FUZZ=1 (Jazzer
# fuzzes one @FuzzTest per JVM). The corpus Jazzer grows is kept in <module>/.cifuzz-corpus/
# (git-ignored) and reused by the next run; a crashing input is written by Jazzer into the
# target's <TestClass>Inputs/<method>/ folder under src/test/resources, where ./mvnw verify then
# replays it as a regression input. Logs and target/fuzz/summary.tsv (module, target, seconds,
# executions, executions/s, result) are under target/fuzz/. Exit status 1 when a target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${1:-5m}
FILTER=${2:-}
JAVA=${FUZZ_JDK:+$FUZZ_JDK/bin/}java
XMX=${FUZZ_XMX:-1g}
OUT=$ROOT/target/fuzz
mkdir -p "$OUT"

# module test-class#method; one line per @FuzzTest
TARGETS="
ipns-link-core io.ipnslink.core.fuzz.CoreParsersFuzzTest#ipnsRecord
ipns-link-core io.ipnslink.core.fuzz.CoreParsersFuzzTest#cbor
ipns-link-core io.ipnslink.core.fuzz.CoreParsersFuzzTest#manifest
ipns-link-core io.ipnslink.core.fuzz.CoreParsersFuzzTest#multiaddrBytes
ipns-link-core io.ipnslink.core.fuzz.CoreParsersFuzzTest#multiaddrText
ipns-link-core io.ipnslink.core.fuzz.CoreParsersFuzzTest#text
ipns-link-core io.ipnslink.core.fuzz.CoreParsersFuzzTest#varint
ipns-link-core io.ipnslink.core.fuzz.CoreParsersFuzzTest#keyProtobuf
ipns-link-p2p io.ipnslink.p2p.security.noise.NoiseHandshakeFuzzTest#responderMessages
ipns-link-p2p io.ipnslink.p2p.security.noise.NoiseHandshakeFuzzTest#initiatorMessages
ipns-link-p2p io.ipnslink.p2p.security.noise.NoiseHandshakeFuzzTest#responderPayload
ipns-link-p2p io.ipnslink.p2p.security.noise.NoiseHandshakeFuzzTest#initiatorPayload
ipns-link-p2p io.ipnslink.p2p.mux.yamux.YamuxFuzzTest#frameDecoder
ipns-link-p2p io.ipnslink.p2p.mux.yamux.YamuxFuzzTest#muxer
ipns-link-p2p io.ipnslink.p2p.multistream.MultistreamFuzzTest#codec
ipns-link-p2p io.ipnslink.p2p.multistream.MultistreamFuzzTest#responder
ipns-link-p2p io.ipnslink.p2p.protocol.identify.IdentifyFuzzTest#identify
ipns-link-p2p io.ipnslink.p2p.protocol.relay.RelayFuzzTest#relayMessage
ipns-link-p2p io.ipnslink.p2p.protocol.identify.IdentifyFuzzTest#signedPeerRecord
ipns-link-routing io.ipnslink.routing.fuzz.RoutingFuzzTest#servlet
ipns-link-routing io.ipnslink.routing.fuzz.RoutingFuzzTest#clientAnswer
ipns-link-tunnel io.ipnslink.tunnel.client.ClientAnswerFuzzTest#answerHead
ipns-link-tunnel io.ipnslink.tunnel.server.ExposerHeadFuzzTest#requestHead
ipns-link-filter io.ipnslink.filter.fuzz.RouterFuzzTest#route
"

MODULES="ipns-link-core ipns-link-p2p ipns-link-routing ipns-link-tunnel ipns-link-filter"
if [ -z "${FUZZ_NO_BUILD:-}" ] || [ ! -f ipns-link-filter/target/fuzz.cp ]; then
  # Test classes, and per module the class path of its third-party jars (<module>/target/fuzz.cp).
  echo "building the test classes of $MODULES" >&2
  ./mvnw -B -q -pl "$(echo $MODULES | tr ' ' ',')" -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -DexcludeGroupIds=io.ipnslink -Dmdep.outputFile=target/fuzz.cp
fi
# The JUnit console launcher (the same JUnit version as the build).
JUNIT_VERSION=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml)
PLATFORM_VERSION=1.${JUNIT_VERSION#5.}   # JUnit Jupiter 5.x.y goes with the JUnit Platform 1.x.y
LAUNCHER=$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$PLATFORM_VERSION/junit-platform-console-standalone-$PLATFORM_VERSION.jar
if [ ! -f "$LAUNCHER" ]; then
  ./mvnw -B -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$PLATFORM_VERSION
fi

SUMMARY=$OUT/summary.tsv
printf 'module\ttarget\tseconds\texecutions\texec_per_s\tresult\n' > "$SUMMARY"
crashed=0
while read -r module target; do
  [ -n "$module" ] || continue
  case "$module $target" in *"$FILTER"*) ;; *) continue ;; esac
  # Class path: the module's class folders, core's (with its test helpers) and those of the
  # project's modules it builds on, then the third-party jars.
  cp="$ROOT/$module/target/test-classes:$ROOT/$module/target/classes"
  if [ "$module" != ipns-link-core ]; then
    cp="$cp:$ROOT/ipns-link-core/target/test-classes:$ROOT/ipns-link-core/target/classes"
  fi
  for dep in ipns-link-p2p ipns-link-routing ipns-link-tunnel; do
    if [ "$dep" != "$module" ]; then
      cp="$cp:$ROOT/$dep/target/classes"
    fi
  done
  cp="$cp:$(cat "$ROOT/$module/target/fuzz.cp"):$LAUNCHER"
  log=$OUT/${target##*.}.log
  echo "fuzzing $module $target for $DURATION (log: ${log#$ROOT/})" >&2
  start=$(date +%s)
  set +e
  (cd "$ROOT/$module" && JAZZER_FUZZ=1 "$JAVA" -Xmx"$XMX" -XX:+IgnoreUnrecognizedVMOptions -XX:+EnableDynamicAgentLoading \
      -Djazzer.max_duration="$DURATION" -Djazzer.internal.basedir="$ROOT/$module" \
      -Djazzer.instrumentation_includes='io.ipnslink.**' \
      -Dlogback.configurationFile="$ROOT/ipns-link-core/src/test/logback/logback-test.xml" \
      -cp "$cp" org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=summary \
      --select-method="$target(byte[])" >"$log" 2>&1)
  rc=$?
  set -e
  seconds=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log" | tail -1 || true)
  if [ -n "$runs" ]; then
    execs=${runs% *}
    fuzz_s=${runs#* }
  else
    # A crash ends libFuzzer without "Done": take its last status line.
    execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
    fuzz_s=$seconds
  fi
  execs=${execs:-0}
  rate=$(( execs / (fuzz_s > 0 ? fuzz_s : 1) ))
  if [ $rc -eq 0 ] && [ -n "$runs" ]; then
    result=ok
  else
    crash=$(grep -o 'crash-[0-9a-f]*' "$log" | head -1 || true)
    result="FAILED (exit $rc${crash:+, input $crash}; see ${log#$ROOT/})"
    crashed=1
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$module" "${target##*.}" "$seconds" "$execs" "$rate" "$result" >> "$SUMMARY"
  tail -1 "$SUMMARY" >&2
done <<< "$TARGETS"
column -t -s $'\t' "$SUMMARY"
exit $crashed
