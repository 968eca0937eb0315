#!/usr/bin/env node
'use strict';
// Follows a service: prints one JSON line with its instances each time they change, until
// interrupted. When its node goes away it resumes on the next one from the revision it holds and
// that revision's incarnation, so it never misses a change and never keeps an instance of a
// registry that restarted (a node of another incarnation answers with a fresh snapshot).
//
//   ROSTER_TARGETS=127.0.0.1:7101,127.0.0.1:7102 node watch.js --service orders
const { parseArgs } = require('node:util');
const { Roster, REFUSED, errorMessage, toJson } = require('./roster');

const { values: args } = parseArgs({ options: { service: { type: 'string' } } });

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 2000;

// [START watch]
/** What is held of one service: instances by id, at a revision of an incarnation. */
class Followed {
  constructor(service) {
    this.service = service;
    this.instances = new Map();
    this.revision = '0';
    this.incarnation = '0';
    this.incoming = null; // a snapshot arriving in parts, until its last part
  }

  /** Where to resume: the revision held, and the incarnation it counts in. */
  target() {
    return { service: this.service, fromRevision: this.revision, incarnation: this.incarnation };
  }

  /** Applies one WatchResponse; returns whether what is held changed. */
  apply(message) {
    if (message.event === 'snapshot') {
      // A first snapshot, or one flagged reset: it replaces everything held, whatever its revision.
      // A large service's comes in parts (each under 1 MiB): part 0 starts it, and it is whole
      // with the part whose `more` is false. Until then nothing changes, not even the revision.
      if (message.snapshot.part === 0) {
        this.incoming = new Map();
      } else if (this.incoming === null) {
        return false; // a part of a snapshot whose start this stream never had
      }
      message.snapshot.instances.forEach((i) => this.incoming.set(i.instanceId, i));
      if (message.snapshot.more) {
        return false;
      }
      this.instances = this.incoming;
      this.incoming = null;
    } else if (message.incarnation !== this.incarnation) {
      return false; // revisions of another incarnation say nothing about ours: a snapshot follows
    } else if (BigInt(message.revision) <= BigInt(this.revision)) {
      return false; // a repeat
    } else {
      for (const change of message.changes.changes) {
        if (change.type === 'CHANGE_TYPE_REMOVED') {
          this.instances.delete(change.instance.instanceId);
        } else {
          this.instances.set(change.instance.instanceId, change.instance);
        }
      }
    }
    this.revision = message.revision;
    this.incarnation = message.incarnation;
    return true;
  }

  /** A stream ended: a snapshot it left unfinished is void; the next stream resumes. */
  streamEnded() {
    this.incoming = null;
  }
}
// [END watch]

function main() {
  if (!args.service) {
    throw new Error('usage: watch.js --service NAME');
  }
  const roster = new Roster();
  const followed = new Followed(args.service);
  let backoffMs = MIN_BACKOFF_MS;
  let stream;
  let stopping = false;

  const follow = () => {
    const node = roster.node().target;
    stream = roster.serverStream('DiscoveryService', 'Watch', { targets: [followed.target()] });
    stream.on('data', (message) => {
      backoffMs = MIN_BACKOFF_MS;
      const reset = message.event === 'snapshot' && message.snapshot.reset;
      if (followed.apply(message)) {
        const instances = [...followed.instances.keys()].sort();
        process.stdout.write(
          toJson({
            event: 'instances',
            service: followed.service,
            revision: followed.revision,
            incarnation: followed.incarnation,
            reset,
            node,
            instances,
          }) + '\n',
        );
      }
    });
    let ended = false;
    const resumeElsewhere = (code, message) => {
      if (stopping || ended) {
        return;
      }
      ended = true;
      followed.streamEnded();
      process.stderr.write(toJson({ event: 'reconnecting', node, code, message }) + '\n');
      roster.moveOn();
      setTimeout(follow, backoffMs);
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    };
    stream.on('error', (err) => {
      if (REFUSED.has(err.code) && !stopping) {
        // Every node would refuse the same credentials: say what to change, and stop.
        const refusal = { event: 'refused', node, code: err.code, message: errorMessage(err) };
        process.stderr.write(toJson(refusal) + '\n');
        roster.close();
        process.exit(1);
      }
      resumeElsewhere(err.code, errorMessage(err));
    });
    stream.on('end', () => resumeElsewhere(0, 'the node ended the stream'));
  };

  const stop = () => {
    stopping = true;
    if (stream) {
      stream.cancel();
    }
    roster.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  follow();
}

try {
  main();
} catch (err) {
  process.stderr.write(JSON.stringify({ message: errorMessage(err) }) + '\n');
  process.exit(1);
}
