#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller in one JVM) for Accord
# development and tests. Jars come from the Maven repository via `mvn` and are
# cached under <repo>/.cache/kafka, so only the first `fetch` needs the network.
# Run `deploy/local/kafka.sh --help` for usage.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
PROG="deploy/local/kafka.sh"

KAFKA_VERSION="${ACCORD_KAFKA_VERSION:-4.1.1}"
CACHE_ROOT="${ACCORD_CACHE_DIR:-$REPO_ROOT/.cache}"
PORT="${ACCORD_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${ACCORD_KAFKA_CONTROLLER_PORT:-9093}"
PARTITIONS="${ACCORD_KAFKA_PARTITIONS:-6}"
START_TIMEOUT="${ACCORD_KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${ACCORD_KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${ACCORD_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
USE_HELPER="${ACCORD_KAFKA_ADMIN_HELPER:-1}"

DEFAULT_TOPICS=(accord.events accord.campaigns accord.feedback accord.deadletter)

# log4j2 version used only if a Kafka version ever stops bringing log4j-core itself.
LOG4J_FALLBACK_VERSION="2.24.3"
DEPENDENCY_PLUGIN_VERSION="3.8.1"

BOOTSTRAP="127.0.0.1:$PORT"

usage() {
  cat <<EOF
Usage: $PROG <command> [args]

Runs a local single-node Apache Kafka $KAFKA_VERSION broker (KRaft mode, combined
broker+controller, listening on 127.0.0.1 only) for Accord development and tests.

Commands:
  fetch                 Download the Kafka server/tools jars and all their runtime
                        dependencies with Maven into the cache (needs network once;
                        does nothing when the cache is already complete).
  start                 fetch if needed, format storage on first use, start the broker
                        in the background, wait until it answers, create the Accord
                        topics, and print the bootstrap address. If a broker already
                        answers on the port, says so and exits 0.
  stop                  Stop the broker of this run dir (SIGTERM, then SIGKILL after
                        ACCORD_KAFKA_STOP_TIMEOUT s). Exits 0 if it was not running.
  status                Print whether the broker runs and its bootstrap address.
                        Exit code 0 if running, 3 if not.
  create-topics [T...]  Idempotently create the topics
                        ${DEFAULT_TOPICS[*]}
                        plus any topic names T given as arguments
                        (ACCORD_KAFKA_PARTITIONS partitions, replication factor 1,
                        retention.ms=-1). The broker must be running.
  list-topics           List the topics on the broker with their partition counts.
  reset                 stop, then delete the run dir (all topic data); keeps the jar cache.
  -h, --help            Show this help.

Environment (current value in brackets):
  ACCORD_KAFKA_VERSION          Kafka version to fetch/run [$KAFKA_VERSION]
  ACCORD_CACHE_DIR              cache root; Kafka lives in \$ACCORD_CACHE_DIR/kafka
                                [$CACHE_ROOT]
  ACCORD_KAFKA_PORT             client (PLAINTEXT) port [$PORT]
  ACCORD_KAFKA_CONTROLLER_PORT  KRaft controller port [$CONTROLLER_PORT]
  ACCORD_KAFKA_PARTITIONS       partitions per created topic, and num.partitions [$PARTITIONS]
  ACCORD_KAFKA_START_TIMEOUT    seconds to wait for the broker to answer [$START_TIMEOUT]
  ACCORD_KAFKA_STOP_TIMEOUT     seconds to wait for a clean stop before SIGKILL [$STOP_TIMEOUT]
  ACCORD_KAFKA_HEAP_OPTS        broker JVM heap options [$HEAP_OPTS]
  ACCORD_KAFKA_ADMIN_HELPER     1: use a small compiled AdminClient helper (one JVM for
                                wait + all topics; needs javac); 0: use Kafka's
                                TopicCommand, one JVM per topic [$USE_HELPER]
  JAVA_HOME                     Java 17+ to use (else \`java\` on PATH)

Files:
  jar cache   $CACHE_ROOT/kafka/kafka-$KAFKA_VERSION/libs   (Maven repo: $CACHE_ROOT/kafka/m2)
  run dir     $CACHE_ROOT/kafka/kafka-run-<port>   (server.properties, data/, broker.log,
              broker.out, broker.pid); one per port, so brokers on different ports coexist.

If mvn or java is missing, they are installed with apt-get (needs root).
EOF
}

die() { echo "kafka.sh: error: $*" >&2; exit 1; }
log() { echo "kafka.sh: $*" >&2; }

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

validate_env() {
  is_port "$PORT" || die "ACCORD_KAFKA_PORT must be a port number, got '$PORT'"
  is_port "$CONTROLLER_PORT" || die "ACCORD_KAFKA_CONTROLLER_PORT must be a port number, got '$CONTROLLER_PORT'"
  ((PORT != CONTROLLER_PORT)) || die "ACCORD_KAFKA_PORT and ACCORD_KAFKA_CONTROLLER_PORT must differ"
  is_posint "$PARTITIONS" || die "ACCORD_KAFKA_PARTITIONS must be a positive integer, got '$PARTITIONS'"
  is_posint "$START_TIMEOUT" || die "ACCORD_KAFKA_START_TIMEOUT must be a positive integer, got '$START_TIMEOUT'"
  [[ "$STOP_TIMEOUT" =~ ^(0|[1-9][0-9]{0,8})$ ]] ||
    die "ACCORD_KAFKA_STOP_TIMEOUT must be a non-negative integer, got '$STOP_TIMEOUT'"
  [[ "$USE_HELPER" == 0 || "$USE_HELPER" == 1 ]] || die "ACCORD_KAFKA_ADMIN_HELPER must be 0 or 1"
  [[ "$KAFKA_VERSION" =~ ^[0-9A-Za-z._-]+$ ]] || die "bad ACCORD_KAFKA_VERSION '$KAFKA_VERSION'"
}

# Absolute paths (ACCORD_CACHE_DIR may be relative).
mkdir_abs() { mkdir -p "$1" && (cd "$1" && pwd); }

init_paths() {
  CACHE_ROOT="$(mkdir_abs "$CACHE_ROOT")"
  KAFKA_CACHE="$CACHE_ROOT/kafka"
  M2_REPO="$KAFKA_CACHE/m2"
  DIST_DIR="$KAFKA_CACHE/kafka-$KAFKA_VERSION"
  LIBS_DIR="$DIST_DIR/libs"
  MARKER="$DIST_DIR/.complete"
  TOOLS_LOG4J="$DIST_DIR/config/tools-log4j2.properties"
  HELPER_DIR="$DIST_DIR/accord-admin"
  RUN_DIR="$KAFKA_CACHE/kafka-run-$PORT"
  DATA_DIR="$RUN_DIR/data"
  PID_FILE="$RUN_DIR/broker.pid"
  SERVER_PROPS="$RUN_DIR/server.properties"
  BROKER_LOG4J="$RUN_DIR/log4j2.properties"
  CLUSTER_ID_FILE="$RUN_DIR/cluster.id"
}

# ---------------------------------------------------------------------------
# Tooling: java and mvn
# ---------------------------------------------------------------------------


JAVA=""
find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    JAVA=""
  fi
}

ensure_java() {
  [[ -n "$JAVA" ]] && return 0
  find_java
  if [[ -z "$JAVA" ]]; then
    # The JDK (a superset of the JRE) also brings javac for the admin helper.
    apt_install openjdk-17-jdk-headless
    find_java
    [[ -n "$JAVA" ]] || die "java still not found after installing openjdk-17-jdk-headless"
  fi
  local major
  major="$("$JAVA" -version 2>&1 | sed -nE '1s/.*version "([0-9]+).*/\1/p')"
  [[ -n "$major" && "$major" -ge 17 ]] || die "Kafka $KAFKA_VERSION needs Java 17+, but $JAVA is version '${major:-unknown}'"
}

ensure_mvn() {
  command -v mvn >/dev/null 2>&1 && return 0
  apt_install maven
  command -v mvn >/dev/null 2>&1 || die "mvn still not found after installing maven"
}

# ---------------------------------------------------------------------------
# fetch
# ---------------------------------------------------------------------------

write_pom() { # $1 = file
  cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by $PROG: Kafka $KAFKA_VERSION server + tools runtime classpath. -->
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>accord.local</groupId>
  <artifactId>accord-local-kafka</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <!-- Broker (kafka.Kafka) and storage formatting (kafka.tools.StorageTool). -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- org.apache.kafka.tools.TopicCommand and friends. -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>$DEPENDENCY_PLUGIN_VERSION</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
EOF
}

jar_version() { # $1 = libs dir, $2 = artifact id -> version of the jar there, if any
  local f
  for f in "$1/$2"-[0-9]*.jar; do
    [[ -e "$f" ]] || continue
    f="${f##*/}"; f="${f#"$2"-}"; echo "${f%.jar}"; return 0
  done
  return 1
}

# Runs mvn quietly; its output goes to mvn.log and is shown only on failure.
mvn_run() {
  if ! mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$M2_REPO" "$@" >>"$DIST_DIR/mvn.log" 2>&1; then
    tail -n 40 "$DIST_DIR/mvn.log" >&2
    return 1
  fi
}

write_tools_log4j() {
  mkdir -p "$(dirname "$TOOLS_LOG4J")"
  cat >"$TOOLS_LOG4J" <<'EOF'
# Generated by deploy/local/kafka.sh: command-line tools log warnings to stderr.
status = warn
name = accord-kafka-tools
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
# "Connection ... could not be established" is expected while waiting for the broker.
logger.networkclient.name = org.apache.kafka.clients.NetworkClient
logger.networkclient.level = ERROR
EOF
}

do_fetch() {
  mkdir -p "$KAFKA_CACHE"
  [[ -f "$MARKER" && -d "$LIBS_DIR" ]] && return 0
  # Serialise concurrent fetches (e.g. two ports started at once).
  exec 9>"$KAFKA_CACHE/.fetch.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  if [[ -f "$MARKER" && -d "$LIBS_DIR" ]]; then exec 9>&-; return 0; fi

  ensure_java
  ensure_mvn
  local t0=$SECONDS
  log "fetching Kafka $KAFKA_VERSION jars with Maven into $DIST_DIR (first time only)"
  mkdir -p "$DIST_DIR"
  local pom="$DIST_DIR/pom.xml" tmp="$DIST_DIR/libs.tmp"
  write_pom "$pom"
  rm -rf "$tmp"
  : >"$DIST_DIR/mvn.log"
  (cd "$DIST_DIR" && mvn_run -f "$pom" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp") ||
    die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (wrong ACCORD_KAFKA_VERSION? no network?)"

  # Logging: Kafka logs through SLF4J; log4j2 needs the SLF4J binding that matches
  # the slf4j-api version Kafka resolved (1.x -> log4j-slf4j-impl, 2.x -> log4j-slf4j2-impl),
  # at the same version as the log4j2 core Kafka brought.
  local slf4j log4j binding extra=()
  slf4j="$(jar_version "$tmp" slf4j-api)" || die "no slf4j-api among the resolved jars"
  log4j="$(jar_version "$tmp" log4j-core || true)"
  if [[ -z "$log4j" ]]; then
    log4j="$LOG4J_FALLBACK_VERSION"
    extra+=("org.apache.logging.log4j:log4j-api:$log4j" "org.apache.logging.log4j:log4j-core:$log4j")
  fi
  if [[ "$slf4j" == 1.* ]]; then binding="log4j-slf4j-impl"; else binding="log4j-slf4j2-impl"; fi
  extra+=("org.apache.logging.log4j:$binding:$log4j")
  local a
  for a in "${extra[@]}"; do
    (cd "$DIST_DIR" && mvn_run -f "$pom" dependency:copy -Dartifact="$a" -DoutputDirectory="$tmp") ||
      die "Maven could not fetch $a"
  done

  for a in kafka_2.13 kafka-clients kafka-tools log4j-core "$binding"; do
    jar_version "$tmp" "$a" >/dev/null || die "fetch incomplete: no $a jar in $tmp"
  done
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  write_tools_log4j
  {
    echo "kafka=$KAFKA_VERSION"
    echo "slf4j-api=$slf4j"
    echo "log4j=$log4j ($binding)"
    echo "jars=$(find "$LIBS_DIR" -name '*.jar' | wc -l)"
  } >"$MARKER"
  exec 9>&-
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS_DIR" | cut -f1)) in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------
# Admin helper: one JVM that waits for the broker and creates/lists all topics.
# ---------------------------------------------------------------------------

HELPER_CLASS="AccordKafkaAdmin"

helper_source() {
  cat <<'EOF'
// Generated by deploy/local/kafka.sh. Usage:
//   AccordKafkaAdmin <wait|create|list> <bootstrap> <timeoutSeconds> <brokerPid|0> [partitions topic...]
// Waits (polling every 0.5 s) until the broker answers a metadata request, then acts.
// Exit codes: 0 ok, 1 timeout/failure, 2 the broker process died, 64 usage.
import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.errors.*;

public final class AccordKafkaAdmin {
  private static long deadline;
  private static long pid;

  public static void main(String[] a) throws Exception {
    if (a.length < 4) { System.err.println("usage: AccordKafkaAdmin <wait|create|list> <bootstrap> <timeoutSeconds> <pid> [partitions topic...]"); System.exit(64); }
    String cmd = a[0];
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(a[2]));
    pid = Long.parseLong(a[3]);
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a[1]);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "accord-kafka-sh");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "100");
    p.put("retry.backoff.max.ms", "500");
    int rc;
    try (Admin admin = Admin.create(p)) {
      waitReady(admin);
      switch (cmd) {
        case "wait": rc = 0; break;
        case "list": rc = list(admin); break;
        case "create":
          if (a.length < 6) { System.err.println("create needs <partitions> <topic...>"); rc = 64; break; }
          rc = create(admin, Integer.parseInt(a[4]), Arrays.asList(a).subList(5, a.length));
          break;
        default: System.err.println("unknown command " + cmd); rc = 64;
      }
    }
    System.exit(rc);
  }

  private static boolean expired() { return System.nanoTime() - deadline > 0; }

  private static void checkAlive() {
    if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == false) {
      System.err.println("broker process " + pid + " exited");
      System.exit(2);
    }
  }

  private static void waitReady(Admin admin) throws InterruptedException {
    Throwable last = null;
    while (true) {
      checkAlive();
      try {
        if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes().get().isEmpty()) return;
      } catch (ExecutionException e) {
        last = e.getCause();
      }
      if (expired()) {
        System.err.println("broker did not answer in time" + (last == null ? "" : ": " + last));
        System.exit(1);
      }
      Thread.sleep(500);
    }
  }

  private static int create(Admin admin, int partitions, List<String> topics) throws Exception {
    Map<String, String> configs = Map.of("retention.ms", "-1");
    List<String> pending = new ArrayList<>(new LinkedHashSet<>(topics));
    List<String> existing = new ArrayList<>();
    int rc = 0;
    while (!pending.isEmpty()) {
      List<NewTopic> req = new ArrayList<>();
      for (String t : pending) req.add(new NewTopic(t, Optional.of(partitions), Optional.of((short) 1)).configs(configs));
      CreateTopicsResult res = admin.createTopics(req);
      List<String> retry = new ArrayList<>();
      Throwable last = null;
      for (String t : pending) {
        try {
          res.values().get(t).get();
          System.out.println("created " + t + " (" + partitions + " partitions, retention.ms=-1)");
        } catch (ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof TopicExistsException) {
            existing.add(t);
          } else if (c instanceof RetriableException || c instanceof InvalidReplicationFactorException) {
            retry.add(t); last = c;   // controller or broker registration not ready yet
          } else {
            System.err.println("failed to create " + t + ": " + c);
            rc = 1;
          }
        }
      }
      if (!retry.isEmpty()) {
        if (expired()) { System.err.println("timed out creating " + retry + ": " + last); return 1; }
        checkAlive();
        Thread.sleep(500);
      }
      pending = retry;
    }
    if (!existing.isEmpty()) {
      Map<String, TopicDescription> d = admin.describeTopics(existing).allTopicNames().get();
      for (String t : existing) {
        int n = d.get(t).partitions().size();
        System.out.println("exists  " + t + " (" + n + " partitions)"
            + (n != partitions ? "  [warning: ACCORD_KAFKA_PARTITIONS=" + partitions + "; left unchanged]" : ""));
      }
    }
    return rc;
  }

  private static int list(Admin admin) throws Exception {
    TreeSet<String> names = new TreeSet<>(admin.listTopics(new ListTopicsOptions().listInternal(false)).names().get());
    if (names.isEmpty()) return 0;
    Map<String, TopicDescription> d = admin.describeTopics(names).allTopicNames().get();
    for (String t : names) System.out.println(t + "\t" + d.get(t).partitions().size() + " partitions");
    return 0;
  }
}
EOF
}

# Compiles the helper once into the jar cache (re-compiled when this script's copy
# of its source changes). Returns non-zero when it can't be used.
ensure_helper() {
  [[ "$USE_HELPER" == 1 ]] || return 1
  [[ -n "${HELPER_OK:-}" ]] && return "$HELPER_OK"
  local javac src="$HELPER_DIR/$HELPER_CLASS.java" tmp="$HELPER_DIR.tmp"
  if [[ -f "$HELPER_DIR/$HELPER_CLASS.class" && -f "$src" ]] && helper_source | cmp -s - "$src"; then
    HELPER_OK=0; return 0
  fi
  javac="$(dirname "$(readlink -f "$JAVA")")/javac"
  if [[ ! -x "$javac" ]]; then
    log "no javac next to $JAVA; using TopicCommand (one JVM per topic, slower)"
    HELPER_OK=1; return 1
  fi
  rm -rf "$tmp"; mkdir -p "$tmp"
  helper_source >"$tmp/$HELPER_CLASS.java"
  if ! "$javac" -nowarn -cp "$LIBS_DIR/*" -d "$tmp" "$tmp/$HELPER_CLASS.java" >"$tmp/javac.log" 2>&1; then
    log "could not compile the admin helper; using TopicCommand. javac said: $(head -c 400 "$tmp/javac.log")"
    rm -rf "$tmp"
    HELPER_OK=1; return 1
  fi
  rm -rf "$HELPER_DIR"; mv "$tmp" "$HELPER_DIR"
  HELPER_OK=0
}

# Exit 0 if a Kafka broker answers on $BOOTSTRAP within $1 seconds.
answers_as_kafka() {
  if ensure_helper; then
    run_tool "$HELPER_CLASS" wait "$BOOTSTRAP" "$1" 0 2>/dev/null
  else
    wait_ready_topiccommand "$1" 0 2>/dev/null
  fi
}

TOOL_JVM_OPTS=(-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true)

run_tool() { # main class + args, classpath = libs (+ helper)
  "$JAVA" "${TOOL_JVM_OPTS[@]}" -Dlog4j2.configurationFile="$TOOLS_LOG4J" \
    -cp "$HELPER_DIR:$LIBS_DIR/*" "$@"
}

# ---------------------------------------------------------------------------
# Process / port checks
# ---------------------------------------------------------------------------

port_open() { # $1 = port
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

is_our_broker() { # $1 = pid
  local cmdline
  [[ -r "/proc/$1/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *kafka.Kafka* && "$cmdline" == *"$SERVER_PROPS"* ]]
}

# Prints the pid of the broker running from this run dir, if any.
broker_pid() {
  local pid d
  if [[ -f "$PID_FILE" ]]; then
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    if [[ -n "$pid" ]] && is_our_broker "$pid"; then echo "$pid"; return 0; fi
  fi
  # Pid file missing or stale: look for a broker started with this run dir's config.
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if is_our_broker "$pid"; then echo "$pid" >"$PID_FILE"; echo "$pid"; return 0; fi
  done
  return 1
}

print_log_tail() {
  local f
  for f in "$RUN_DIR/broker.log" "$RUN_DIR/broker.out"; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

# ---------------------------------------------------------------------------
# Topics
# ---------------------------------------------------------------------------

# $1 = wait timeout (s), $2 = broker pid or 0, rest = extra topics
create_topics() {
  local timeout="$1" pid="$2"; shift 2
  local topics=("${DEFAULT_TOPICS[@]}" "$@")
  if ensure_helper; then
    run_tool "$HELPER_CLASS" create "$BOOTSTRAP" "$timeout" "$pid" "$PARTITIONS" "${topics[@]}"
    return
  fi
  wait_ready_topiccommand "$timeout" "$pid" || return
  # One JVM per topic (TopicCommand creates one topic per call); run them in parallel.
  local t rc=0 pids=()
  for t in "${topics[@]}"; do
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
      --topic "$t" --partitions "$PARTITIONS" --replication-factor 1 --config retention.ms=-1 >/dev/null &
    pids+=("$!")
  done
  local i
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then echo "ensured ${topics[$i]}"; else echo "failed to create ${topics[$i]}" >&2; rc=1; fi
  done
  return "$rc"
}

wait_ready_topiccommand() { # $1 = timeout (s), $2 = pid or 0
  local end=$((SECONDS + $1))
  while ((SECONDS < end)); do
    if [[ "$2" != 0 && ! -d "/proc/$2" ]]; then echo "broker process $2 exited" >&2; return 2; fi
    if port_open "$PORT" && run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
         --list >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "broker did not answer in time" >&2
  return 1
}

list_topics() {
  if ensure_helper; then
    run_tool "$HELPER_CLASS" list "$BOOTSTRAP" 10 0
  else
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list --exclude-internal
  fi
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

write_server_properties() {
  cat >"$SERVER_PROPS" <<EOF
# Generated by $PROG on each start; edits are overwritten.
# Single-node KRaft: this JVM is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

log.dirs=$DATA_DIR
num.partitions=$PARTITIONS
num.recovery.threads.per.data.dir=1
auto.create.topics.enable=false

# One broker: internal topics can only have one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# Infinite retention: the event history is the source of truth.
log.retention.hours=-1
log.retention.ms=-1
log.retention.bytes=-1
EOF
}

write_broker_log4j() {
  cat >"$BROKER_LOG4J" <<'EOF'
# Generated by deploy/local/kafka.sh: broker log -> broker.log in the run dir (rolled at 64 MB, 3 kept).
status = warn
name = accord-kafka-broker
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/broker.log
appender.file.filePattern = ${sys:kafka.logs.dir}/broker.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 64MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.requestchannel.name = kafka.network.RequestChannel$
logger.requestchannel.level = WARN
EOF
}

new_cluster_id() { # Kafka Uuid: 16 random bytes, URL-safe base64 without padding, not starting with '-'
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* && "$id" != AAAAAAAAAAAAAAAAAAAAA* ]] && { echo "$id"; return; }
  done
}

cmd_start() {
  local t0=$SECONDS pid
  do_fetch
  ensure_java
  mkdir -p "$RUN_DIR"
  # One start at a time per run dir (fd 8 is closed for the broker below).
  exec 8>"$RUN_DIR/.start.lock"
  command -v flock >/dev/null 2>&1 && flock 8

  if pid="$(broker_pid)"; then
    if port_open "$PORT"; then
      echo "Kafka already running (pid $pid, run dir $RUN_DIR)"
      echo "bootstrap: $BOOTSTRAP"
      return 0
    fi
    log "broker process $pid exists but does not answer yet; waiting"
  elif port_open "$PORT"; then
    # Something we did not start listens on the port: accept it if it is a Kafka broker.
    if answers_as_kafka 5; then
      echo "A Kafka broker is already answering on $BOOTSTRAP (not started from $RUN_DIR); leaving it alone"
      echo "bootstrap: $BOOTSTRAP"
      return 0
    fi
    die "port $PORT on 127.0.0.1 is in use by something that is not a Kafka broker"
  else
    port_open "$CONTROLLER_PORT" && die "controller port $CONTROLLER_PORT on 127.0.0.1 is already in use (set ACCORD_KAFKA_CONTROLLER_PORT)"
    write_server_properties
    write_broker_log4j

    if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
      [[ -s "$CLUSTER_ID_FILE" ]] || new_cluster_id >"$CLUSTER_ID_FILE"
      log "formatting KRaft storage in $DATA_DIR (cluster id $(cat "$CLUSTER_ID_FILE"))"
      run_tool kafka.tools.StorageTool format -t "$(cat "$CLUSTER_ID_FILE")" -c "$SERVER_PROPS" >"$RUN_DIR/format.log" 2>&1 ||
        { cat "$RUN_DIR/format.log" >&2; die "formatting storage failed"; }
    fi

    # Keep the previous run's log for post-mortems.
    [[ -f "$RUN_DIR/broker.log" ]] && mv -f "$RUN_DIR/broker.log" "$RUN_DIR/broker.log.prev"
    [[ -f "$RUN_DIR/broker.out" ]] && mv -f "$RUN_DIR/broker.out" "$RUN_DIR/broker.out.prev"
    # shellcheck disable=SC2086 # HEAP_OPTS is a list of JVM flags
    (cd "$RUN_DIR" && exec setsid nohup "$JAVA" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dkafka.logs.dir="$RUN_DIR" -Dlog4j2.configurationFile="$BROKER_LOG4J" \
        -cp "$LIBS_DIR/*" kafka.Kafka "$SERVER_PROPS" >"$RUN_DIR/broker.out" 2>&1 </dev/null 8>&-) &
    pid=$!
    echo "$pid" >"$PID_FILE"
    log "started broker (pid $pid), waiting up to ${START_TIMEOUT}s for $BOOTSTRAP"
  fi

  local rc=0
  create_topics "$START_TIMEOUT" "$pid" || rc=$?
  if ((rc != 0)); then
    print_log_tail
    if is_our_broker "$pid"; then
      log "broker did not become ready; stopping it"
      stop_pid "$pid"
    fi
    rm -f "$PID_FILE"
    if ((rc == 2)); then
      die "the Kafka broker exited during startup (logs in $RUN_DIR)"
    fi
    die "Kafka did not get ready on $BOOTSTRAP within ${START_TIMEOUT}s (logs in $RUN_DIR)"
  fi
  pid="$(broker_pid || echo "$pid")"
  echo "Kafka $KAFKA_VERSION running (pid $pid, started in $((SECONDS - t0)) s, run dir $RUN_DIR)"
  echo "bootstrap: $BOOTSTRAP"
}

stop_pid() { # $1 = pid
  local pid="$1" end
  kill -TERM "$pid" 2>/dev/null || return 0
  end=$((SECONDS + STOP_TIMEOUT))
  while [[ -d "/proc/$pid" ]] && is_our_broker "$pid" && ((SECONDS < end)); do sleep 0.5; done
  if [[ -d "/proc/$pid" ]] && is_our_broker "$pid"; then
    log "broker (pid $pid) still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while [[ -d "/proc/$pid" ]] && is_our_broker "$pid"; do sleep 0.2; done
  fi
}

cmd_stop() {
  local pid
  if [[ ! -d "$RUN_DIR" ]] || ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    echo "Kafka not running (run dir $RUN_DIR)"
    return 0
  fi
  local t0=$SECONDS
  stop_pid "$pid"
  rm -f "$PID_FILE"
  echo "Kafka stopped (pid $pid, in $((SECONDS - t0)) s)"
}

cmd_status() {
  local pid
  if [[ -d "$RUN_DIR" ]] && pid="$(broker_pid)"; then
    if port_open "$PORT"; then
      echo "running: pid $pid, bootstrap $BOOTSTRAP, run dir $RUN_DIR"
      return 0
    fi
    echo "starting: pid $pid is up but $BOOTSTRAP does not accept connections yet"
    return 3
  fi
  if port_open "$PORT"; then
    echo "running: something not started from $RUN_DIR listens on $BOOTSTRAP"
    return 0
  fi
  echo "not running (bootstrap would be $BOOTSTRAP, run dir $RUN_DIR)"
  return 3
}

cmd_create_topics() {
  [[ -f "$MARKER" ]] || die "Kafka jars not fetched; run '$PROG start' first"
  ensure_java
  port_open "$PORT" || die "no broker answers on $BOOTSTRAP; run '$PROG start' first"
  create_topics 30 0 "$@"
}

cmd_list_topics() {
  [[ -f "$MARKER" ]] || die "Kafka jars not fetched; run '$PROG start' first"
  ensure_java
  port_open "$PORT" || die "no broker answers on $BOOTSTRAP; run '$PROG start' first"
  list_topics
}

cmd_reset() {
  cmd_stop
  # Guard the rm -rf: only ever a kafka-run-<port> dir under the cache.
  [[ "$RUN_DIR" == "$KAFKA_CACHE/kafka-run-$PORT" && "$PORT" =~ ^[0-9]+$ ]] || die "refusing to delete $RUN_DIR"
  rm -rf "$RUN_DIR"
  echo "deleted $RUN_DIR (jar cache kept in $DIST_DIR)"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    -h | --help | help) usage; return 0 ;;
    "") usage >&2; return 2 ;;
  esac
  validate_env
  init_paths
  case "$cmd" in
    fetch)
      do_fetch
      echo "Kafka $KAFKA_VERSION jars in $LIBS_DIR ($(find "$LIBS_DIR" -name '*.jar' | wc -l) jars)"
      ;;
    start) [[ $# -eq 0 ]] || die "start takes no arguments"; cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    create-topics) cmd_create_topics "$@" ;;
    list-topics) cmd_list_topics ;;
    reset) cmd_reset ;;
    *) echo "kafka.sh: unknown command '$cmd'" >&2; usage >&2; return 2 ;;
  esac
}

main "$@"
