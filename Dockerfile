# syntax=docker/dockerfile:1
#
# Roster node image: the release tarball (module registry-dist) unpacked at /opt/roster on a
# Java 17 runtime, run as an unprivileged user. Build from the repository root:
#
#   docker build -t roster:0.1.0-SNAPSHOT .
#
# docs/deploy.md shows how to run it (compose, Kubernetes) and what was checked
# without a container engine (registry-deploy's tests).

# ---- build: the tarball, by the same Maven command a developer runs ----
# Maven 3.9 on Temurin 17 (the JDK line the project targets). Tags, not digests: no registry is
# reachable where this file is maintained; pin a digest (FROM image@sha256:...) for builds you
# need to repeat bit for bit.
FROM maven:3.9.11-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The Maven cache survives between builds (BuildKit cache mount) without entering any layer.
# -DskipTests: the image is built from sources the test suite has already passed (mvn verify).
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -DskipTests package -pl registry-dist -am
# One tarball of the current version, unpacked to a fixed path for the run stage. The tarball's
# conf/roster.yaml is an example for three hosts (their addresses, files under /etc/roster); a
# container is configured by ROSTER_* variables alone, so the image reads an empty file instead.
RUN mkdir /out \
    && tar -xzf registry-dist/target/roster-*.tar.gz -C /out \
    && mv /out/roster-* /out/roster \
    && echo '# Containers: every key comes from ROSTER_* variables (docs/deploy.md).' \
       > /out/roster/conf/container.yaml

# ---- run: a JRE and the tarball, no build tools ----
# Temurin 17 JRE on Ubuntu 24.04 (noble): bash for bin/roster-node, glibc for Netty's native
# transports. A tag naming the exact JRE update, so a rebuild does not move to another JVM.
FROM eclipse-temurin:17.0.16_8-jre-noble AS run

# A fixed uid/gid, not a name: Kubernetes' runAsNonRoot can only verify a numeric USER, and
# deploy/kubernetes/statefulset.yaml's runAsUser and fsGroup name the same numbers.
RUN groupadd --system --gid 10001 roster \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin roster

# Owned by root and not writable by the node: it writes nothing but its log to stdout (and the
# JVM's and Vert.x's scratch files to /tmp), so the root file system may be mounted read-only.
COPY --from=build /out/roster /opt/roster

# ROSTER_HEALTH_PORT: the node reads it (key health.port), and so do the probes
# `bin/roster-node health|drain`. ROSTER_CONFIG: the empty file made above. API on every
# interface of the container: it is reached through a published port or a Service. JSON logs, one
# object a line, for the runtime's log collector. (A node out of heap exits and is restarted by
# the runtime: the launcher adds -XX:+ExitOnOutOfMemoryError itself.)
ENV ROSTER_HOME=/opt/roster \
    ROSTER_CONFIG=/opt/roster/conf/container.yaml \
    ROSTER_HEALTH_PORT=7180 \
    ROSTER_API_HOST=0.0.0.0 \
    ROSTER_LOG_FORMAT=json \
    PATH="/opt/roster/bin:${PATH}"

# API (gRPC, gRPC-Web, HTTP/JSON, /metrics, dashboard), member (Hazelcast; keep it on a private
# network), health (plaintext probes).
EXPOSE 7101 5701 7180

USER 10001:10001
WORKDIR /opt/roster

# Liveness, not readiness: Docker's health status restarts nothing by itself, but Swarm and
# autoheal-style tools replace an unhealthy container. Readiness needs a quorum, so during a
# partition or while a majority is down every node would be "unhealthy" and be replaced, turning
# an outage the cluster would heal into a restart loop. Ask readiness with
# `bin/roster-node health ready` (compose's docs show it); Kubernetes probes both on its own.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/opt/roster/bin/roster-node", "health", "live"]

# The node leaves the cluster gracefully on SIGTERM (within node.shutdown-grace-ms plus
# Hazelcast's partition hand-over); give `docker stop` a longer timeout (compose's
# stop_grace_period: 90s).
STOPSIGNAL SIGTERM
# The launcher execs java: the JVM is PID 1 and gets the SIGTERM itself.
ENTRYPOINT ["/opt/roster/bin/roster-node"]
