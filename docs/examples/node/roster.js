'use strict';
// A small Roster client for Node.js: it loads the roster.v1 API from the .proto files at run time
// (no generated code, no server reflection) and calls it with @grpc/grpc-js. Every call moves to
// the next node when one does not answer, as the Java CLI does.
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// The contract lives in proto/src/main/proto of this repository; ROSTER_PROTO_DIR points elsewhere
// when the example is copied out of it.
const PROTO_DIR =
  process.env.ROSTER_PROTO_DIR || path.resolve(__dirname, '../../../proto/src/main/proto');

// [START load]
const definition = protoLoader.loadSync(
  ['roster/v1/registry.proto', 'roster/v1/discovery.proto', 'roster/v1/cluster.proto'],
  {
    includeDirs: [PROTO_DIR],
    longs: String, // uint64 revisions and epochs may pass 2^53: keep them exact, as strings
    enums: String, // "INSTANCE_STATUS_UP", as in the HTTP/JSON API
    defaults: true, // absent fields read as their defaults (0, "", false)
    oneofs: true, // WatchResponse.event names the field that is set ("snapshot" or "changes")
  },
);
const v1 = grpc.loadPackageDefinition(definition).roster.v1;
// [END load]

/** Codes after which another node may answer: it is leaving, cut off, or did not answer in time. */
const RETRY_ELSEWHERE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

/** Codes that refuse the caller's credentials: every node would answer the same, so stop. */
const REFUSED = new Set([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED]);

/** Node addresses ("host:port") from ROSTER_TARGETS (comma-separated), else the local cluster's first. */
function targetsFromEnv() {
  const list = (process.env.ROSTER_TARGETS || '127.0.0.1:7101')
    .split(',')
    .map((target) => target.trim())
    .filter((target) => target.length > 0);
  if (list.length === 0) {
    throw new Error('ROSTER_TARGETS names no node');
  }
  return list;
}

/**
 * TLS settings from the environment, as the Java client and the roster CLI read them:
 * ROSTER_TLS=true (TLS, trusting Node's default CAs), ROSTER_CA_FILE (the CA that signed the
 * nodes' certificates), ROSTER_CERT_FILE and ROSTER_KEY_FILE (a client certificate and its key,
 * for nodes that require one). A file turns TLS on. Nothing set: plaintext.
 */
function tlsFromEnv() {
  return {
    tls: process.env.ROSTER_TLS === 'true',
    caFile: process.env.ROSTER_CA_FILE || '',
    certFile: process.env.ROSTER_CERT_FILE || '',
    keyFile: process.env.ROSTER_KEY_FILE || '',
  };
}

/**
 * The bearer token from the environment, as the Java client and the roster CLI read it:
 * ROSTER_TOKEN (the token) or ROSTER_TOKEN_FILE (a file holding it, read now). '' when neither is
 * set: no token is sent.
 */
function tokenFromEnv() {
  const token = (process.env.ROSTER_TOKEN || '').trim();
  const file = process.env.ROSTER_TOKEN_FILE || '';
  if (token && file) {
    throw new Error('ROSTER_TOKEN and ROSTER_TOKEN_FILE are both set: give the token one way');
  }
  return file ? readSetting('ROSTER_TOKEN_FILE', file).toString('utf8').trim() : token;
}

/** The contents of a file named by a setting, or an error naming the setting. */
function readSetting(name, file) {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${name}: cannot read ${file}: ${err.message}`);
  }
}

// [START credentials]
/** Plaintext, or TLS with the CA to trust and the client certificate to present (PEM files). */
function credentialsFor({ tls = false, caFile = '', certFile = '', keyFile = '' } = {}) {
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new Error('a client certificate needs both ROSTER_CERT_FILE and ROSTER_KEY_FILE');
  }
  if (!tls && !caFile && !certFile) {
    return grpc.credentials.createInsecure();
  }
  return grpc.credentials.createSsl(
    caFile ? readSetting('ROSTER_CA_FILE', caFile) : null, // null: Node's default CAs
    keyFile ? readSetting('ROSTER_KEY_FILE', keyFile) : null,
    certFile ? readSetting('ROSTER_CERT_FILE', certFile) : null,
  );
}
// [END credentials]

// [START token]
/**
 * An interceptor that sends the token as "authorization: Bearer <token>" metadata on every call and
 * stream of a client. (grpc-js composes call credentials with TLS credentials only; metadata works
 * over plaintext too, where the token crosses the network in the clear.)
 */
function bearerToken(token) {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new Error('the token is visible ASCII without spaces (ROSTER_TOKEN, ROSTER_TOKEN_FILE)');
  }
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}
// [END token]

/** Milliseconds of a google.protobuf.Duration as @grpc/proto-loader reads it ({seconds, nanos}). */
function millis(duration) {
  return Number(duration.seconds) * 1000 + Math.floor((duration.nanos || 0) / 1e6);
}

/** The message of a gRPC error, as the node wrote it, with what to change when it refused us. */
function errorMessage(err) {
  const message = err.details || err.message;
  if (err.code === grpc.status.UNAUTHENTICATED) {
    return `${message}; the nodes check callers: set ROSTER_TOKEN_FILE or ROSTER_TOKEN to a token`
      + ' their access file lists, or a client certificate it names';
  }
  if (err.code === grpc.status.PERMISSION_DENIED) {
    return `${message}; the nodes' access file must grant the caller that role in that namespace`;
  }
  return message;
}

/**
 * A message as one line of JSON. Fields whose name starts with "_" are dropped: with oneofs set,
 * @grpc/proto-loader adds one such marker per proto3 optional field ("_weight": "weight").
 */
function toJson(message) {
  return JSON.stringify(message, (key, value) => (key.startsWith('_') ? undefined : value));
}

/** Clients of the three roster.v1 services on every node; calls go to one node, then the next. */
class Roster {
  constructor(
    targets = targetsFromEnv(),
    { deadlineMs = 5000, tls = tlsFromEnv(), token = tokenFromEnv() } = {},
  ) {
    this.targets = targets;
    this.deadlineMs = deadlineMs;
    this.current = 0;
    const credentials = credentialsFor(tls);
    // Every call and stream of these clients carries the token, if there is one.
    const options = token ? { interceptors: [bearerToken(token)] } : {};
    this.nodes = targets.map((target) => ({
      target,
      RegistryService: new v1.RegistryService(target, credentials, options),
      DiscoveryService: new v1.DiscoveryService(target, credentials, options),
      ClusterService: new v1.ClusterService(target, credentials, options),
    }));
  }

  /** The node calls go to now. */
  node() {
    return this.nodes[this.current];
  }

  /** Calls the next node from now on. */
  moveOn() {
    this.current = (this.current + 1) % this.nodes.length;
  }

  /**
   * One unary call, e.g. unary('DiscoveryService', 'Discover', {service: 'orders'}): tried on each
   * node in turn while the answer is UNAVAILABLE or DEADLINE_EXCEEDED. Resolves with the answer;
   * rejects with the gRPC error (err.code, err.details) of the last node tried.
   */
  async unary(service, method, request) {
    let lastError;
    for (let tried = 0; tried < this.nodes.length; tried++) {
      const client = this.node()[service];
      if (!client || typeof client[method] !== 'function') {
        throw new Error(`no RPC ${service}/${method} in roster.v1`);
      }
      try {
        return await new Promise((resolve, reject) =>
          client[method](request, { deadline: Date.now() + this.deadlineMs }, (err, answer) =>
            err ? reject(err) : resolve(answer),
          ),
        );
      } catch (err) {
        lastError = err;
        if (!RETRY_ELSEWHERE.has(err.code)) {
          throw err;
        }
        this.moveOn();
      }
    }
    throw lastError;
  }

  /** A server stream (Watch) on the current node; the caller handles 'data', 'error' and 'end'. */
  serverStream(service, method, request) {
    return this.node()[service][method](request);
  }

  // [START register]
  /** Registers an instance; resolves with the RegisterResponse (leaseId, epoch, heartbeatInterval). */
  register(instance, leaseTtlSeconds) {
    const request = { instance };
    if (leaseTtlSeconds) {
      request.leaseTtl = { seconds: String(leaseTtlSeconds) };
    }
    return this.unary('RegistryService', 'Register', request);
  }
  // [END register]

  // [START discover]
  /** The healthy, weighted endpoints of a service: resolves with a DiscoverResponse. */
  discover(service, { zone = '', includeUnhealthy = false } = {}) {
    return this.unary('DiscoveryService', 'Discover', {
      service,
      preferredZone: zone,
      includeUnhealthy,
    });
  }
  // [END discover]

  /**
   * Removes an instance; epoch (from Register) makes sure a successor is not removed instead, and
   * leaseId (from Register) proves the registration is ours to a node that checks callers.
   */
  deregister(key, epoch = '0', leaseId = '') {
    return this.unary('RegistryService', 'Deregister', { key, epoch, leaseId });
  }

  close() {
    for (const node of this.nodes) {
      for (const client of [node.RegistryService, node.DiscoveryService, node.ClusterService]) {
        client.close();
      }
    }
  }
}

/**
 * Keeps one lease alive over a KeepAlive stream: a heartbeat every heartbeatInterval, on the
 * current node; when the stream breaks (the node left), it reopens on the next node. The lease is
 * renewed wherever it lands: leases live in the cluster, not in a node.
 *
 * onEvent(name, details) is told: "alive" (first renewal, and again after a reconnection),
 * "reconnecting", and, each ending the keep-alive: "lost" (NOT_FOUND: evicted, register again),
 * "replaced" (STALE_EPOCH: another process registered the same instance; stop), "refused" (the
 * node refused our credentials, or answered DENIED: every node would say the same) and "invalid".
 */
class KeepAlive {
  constructor(roster, registered, onEvent = () => {}) {
    this.roster = roster;
    this.leaseId = registered.leaseId;
    this.epoch = registered.epoch;
    this.intervalMs = Math.max(100, millis(registered.heartbeatInterval));
    this.onEvent = onEvent;
    this.stopped = false;
    this.alive = false;
    this.open();
  }

  // [START keepalive]
  open() {
    const stream = this.roster.node().RegistryService.KeepAlive();
    this.stream = stream;
    stream.on('data', (answer) => {
      if (answer.state === 'LEASE_STATE_ACTIVE') {
        if (!this.alive) {
          this.alive = true;
          this.onEvent('alive', { target: this.roster.node().target, grantedTtl: answer.grantedTtl });
        }
      } else if (answer.state === 'LEASE_STATE_THROTTLED') {
        // Over the node's renewal rate for this caller: not renewed this time, the stream stays
        // open. The next beat (a third of the TTL later) renews; send sooner to retry earlier.
        this.onEvent('throttled', { message: answer.message, retryAfter: answer.retryAfter });
      } else {
        // NOT_FOUND: evicted, register again. STALE_EPOCH: another process registered the same
        // instance since, so this one must stop. DENIED: the caller may not renew leases in this
        // namespace. INVALID: a malformed lease id.
        this.stop();
        const event = {
          LEASE_STATE_NOT_FOUND: 'lost',
          LEASE_STATE_STALE_EPOCH: 'replaced',
          LEASE_STATE_DENIED: 'refused',
        };
        this.onEvent(event[answer.state] || 'invalid', { message: answer.message });
      }
    });
    stream.on('error', (err) => this.reopen(err));
    stream.on('end', () => this.reopen(new Error('stream ended by the node')));
    const beat = () => stream.write({ leaseId: this.leaseId, epoch: this.epoch });
    beat();
    this.timer = setInterval(beat, this.intervalMs);
  }
  // [END keepalive]

  reopen(cause) {
    clearInterval(this.timer);
    if (this.stopped || this.stream === undefined) {
      return;
    }
    if (REFUSED.has(cause.code)) {
      this.stop();
      this.onEvent('refused', { code: cause.code, message: errorMessage(cause) });
      return;
    }
    this.stream = undefined;
    this.alive = false;
    this.roster.moveOn();
    this.onEvent('reconnecting', { to: this.roster.node().target, cause: errorMessage(cause) });
    // A short pause, so a cluster that is entirely down is not spun on.
    setTimeout(() => this.stopped || this.open(), 200);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.stream) {
      const stream = this.stream;
      this.stream = undefined;
      stream.end();
      stream.cancel();
    }
  }
}

module.exports = {
  Roster,
  KeepAlive,
  errorMessage,
  toJson,
  targetsFromEnv,
  tlsFromEnv,
  tokenFromEnv,
  credentialsFor,
  bearerToken,
  REFUSED,
  millis,
  v1,
};
