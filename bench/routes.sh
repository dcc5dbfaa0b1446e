#!/usr/bin/env bash
# Benchmark of the IPNS routes (pubsub and the Kademlia DHT) in the 10-node js-libp2p network of
# interop/ipfs-node.mjs, on loopback (bench/routes/RoutesBench.java; see its Javadoc and
# docs/benchmarks.md, "IPNS over pubsub and the DHT").
#
#   bench/routes.sh [--names N] [--updates M] [--jdk PATH]...
#
#   --names N    cold names resolved through the DHT (default 20)
#   --updates M  records published one after another on one name over pubsub (default 20)
#   --jdk PATH   a JDK home to run on; repeatable (default: the `java` on the PATH)
#   Environment: ROUTES_CP=<classpath> skips the build; MVN_OFFLINE= lets Maven go online.
#
# Prints, per JDK, the JDK and a markdown table: median, p90 and max of the time to resolve a cold
# name through the DHT, and of the time from a publish to the record heard by a subscriber that is
# connected to the publisher only through the js nodes. Needs node and `npm ci` in interop/.
set -euo pipefail
cd "$(dirname "$0")/.."
ARGS=()
JDKS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --names|--updates) [ $# -ge 2 ] || { echo "$1 needs a number" >&2; exit 2; }; ARGS+=("$1" "$2"); shift ;;
    --jdk) [ $# -ge 2 ] || { echo "--jdk needs a path" >&2; exit 2; }; JDKS+=("$2"); shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
CP="${ROUTES_CP:-}"
if [ -z "$CP" ]; then
  cpfile=$(mktemp)
  trap 'rm -f "$cpfile"' EXIT
  echo "building (mvnw test-compile, reactor) ..." >&2
  # the reactor writes the file once per module; ipns-link-filter (core's test jar in test scope) comes last
  timeout 900 ./mvnw -q ${MVN_OFFLINE--o} -pl ipns-link-filter -am test-compile \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >&2
  CP="ipns-link-filter/target/classes:$(cat "$cpfile")"
fi
[ ${#JDKS[@]} -gt 0 ] || JDKS=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
for jdk in "${JDKS[@]}"; do
  [ -x "$jdk/bin/java" ] || { echo "not a JDK home (no bin/java): $jdk" >&2; exit 2; }
  timeout 1200 "$jdk/bin/java" -Xmx512m -Dipnslink.interop.dir="$PWD/interop" \
    -Dlogback.configurationFile=bench/our-chain/logback.xml -cp "$CP" bench/routes/RoutesBench.java "${ARGS[@]}"
  echo
done
