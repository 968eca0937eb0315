# shellcheck shell=bash
# Shared by roster-local and roster (sourced, not run): where the repository and the jars are, and
# how to (re)build them. Defines functions and read-only paths only; changes no shell option.

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$LOCAL_DIR/../.." && pwd)"
readonly LOCAL_DIR REPO_ROOT

# JVM flags for fast start-up of a short-lived CLI call (it runs for well under a second).
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly CLI_JAVA_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)

die() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

# Prints the most recently modified of the given files that exist (an unmatched glob stays a
# literal word and is skipped), or nothing. Versions change: callers pass a glob.
newest_file() {
  local newest="" candidate
  for candidate in "$@"; do
    [[ -f $candidate ]] || continue
    if [[ -z $newest || $candidate -nt $newest ]]; then
      newest=$candidate
    fi
  done
  printf '%s' "$newest"
}

node_jar() {
  newest_file "$REPO_ROOT"/registry-node/target/registry-node-*-all.jar
}

cli_jar() {
  newest_file "$REPO_ROOT"/registry-cli/target/registry-cli-*-cli.jar
}

# Prints the first pom.xml or file under a module's src/ that is newer than $1, or nothing.
source_newer_than() {
  find "$REPO_ROOT" \
    \( -name target -o -name .git -o -name node_modules -o -path "$LOCAL_DIR/run" \) -prune \
    -o -type f \( -name pom.xml -o -path '*/src/*' \) -newer "$1" -print -quit
}

# Runs the Maven build from the repository root. Maven's output goes to stderr, so that the
# stdout of `roster` stays one JSON answer per line.
build_jars() {
  local started_at reference
  started_at=$SECONDS
  printf 'building the jars: (cd %s && mvn -B -q -DskipTests install) ...\n' "$REPO_ROOT" >&2
  command -v mvn >/dev/null || die "mvn is not on the PATH: install Maven 3.8+ (and a JDK 17)"
  # Sources edited while Maven runs must still count as newer than the jars afterwards: remember
  # when the build began.
  reference="$(mktemp)"
  if ! (cd "$REPO_ROOT" && mvn -B -q -DskipTests install) >&2; then
    rm -f "$reference"
    die "the build failed (output above). If someone is in the middle of an edit, retry in a" \
      "minute; to see more, run: (cd $REPO_ROOT && mvn -B -DskipTests install)"
  fi
  # Maven leaves a jar that it considers up to date untouched (e.g. when only a test or another
  # module changed); without this, every later start would build again.
  local jar
  for jar in "$(node_jar)" "$(cli_jar)"; do
    if [[ -n $jar && $jar -ot $reference ]]; then
      touch -r "$reference" "$jar"
    fi
  done
  rm -f "$reference"
  [[ -n "$(node_jar)" && -n "$(cli_jar)" ]] ||
    die "the build succeeded but left no registry-node-*-all.jar or registry-cli-*-cli.jar"
  printf 'built in %d s\n' "$((SECONDS - started_at))" >&2
}

# Builds when a jar is missing, or (with "if-stale") older than a pom.xml or a file under src/.
ensure_jars() {
  local mode=${1:-if-missing} node cli older stale
  node="$(node_jar)"
  cli="$(cli_jar)"
  if [[ -z $node || -z $cli ]]; then
    printf 'a jar is missing: ' >&2
    build_jars
    return
  fi
  [[ $mode == if-stale ]] || return 0
  older=$node
  [[ $cli -ot $node ]] && older=$cli
  stale="$(source_newer_than "$older")"
  if [[ -n $stale ]]; then
    printf '%s is newer than the jars: ' "${stale#"$REPO_ROOT"/}" >&2
    build_jars
  fi
}
