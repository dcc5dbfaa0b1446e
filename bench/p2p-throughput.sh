#!/usr/bin/env bash
# Throughput of the libp2p stack (TCP + Noise + yamux) against raw TCP on loopback.
# Usage: JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/p2p-throughput.sh [totalMiB] [rounds]
# Compiles with the default JDK (Java 17 bytecode), runs with $JAVA_HOME/bin/java.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_JAVA="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java"
CP_FILE="$PWD/ipns-link-p2p/target/bench.classpath"
OFFLINE="${MVN_OFFLINE:-}"   # set MVN_OFFLINE=-o to build offline
./mvnw -q $OFFLINE -pl ipns-link-p2p -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test
CP="ipns-link-p2p/target/test-classes:ipns-link-p2p/target/classes:ipns-link-core/target/classes:$(cat "$CP_FILE")"
exec "$RUN_JAVA" -Xms512m -Xmx512m -cp "$CP" io.ipnslink.p2p.bench.P2pThroughputBench "$@"
