#!/usr/bin/env bash
# Makes sure a Java runtime that Spark 4 accepts (17 or newer) is on PATH; installs Debian's when not.
set -euo pipefail
cd "$(dirname "$0")/.."

java_major() {
  java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}
if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ] 2>/dev/null; then
  exit 0
fi
echo "Java 17+ not found: installing Debian's headless OpenJDK runtime for Spark"
if apt-cache show openjdk-17-jre-headless >/dev/null 2>&1 || { scripts/apt-install.sh ca-certificates && apt-cache show openjdk-17-jre-headless >/dev/null 2>&1; }; then
  scripts/apt-install.sh openjdk-17-jre-headless
else
  scripts/apt-install.sh openjdk-21-jre-headless
fi
java -version
