// One service: its instances with address, weight (and share of new work), zone, version,
// metadata, status, health conditions with their reason and since when, and each lease's age and
// time to expiry; an admin's actions (drain, out of service, back to service); the service's
// recent changes. Live: the Watch stream says when the service changes, and the page reads it
// again at once; it also reads every 2 s (leases move without a change) and every second while
// the stream is down.

import { ApiError, getJson, postJson } from './api.js';
import { ago, badge, clock, duration, fill, h, healthBadge, keepFocus, NodeClock, statusBadge } from './format.js';
import { follow } from './watch.js';

const POLL_MILLIS = 2000;
const POLL_WITHOUT_STREAM_MILLIS = 1000;

const ACTIONS = [
  ['DRAINING', 'Drain', 'callers send it no new work; it stays listed'],
  ['OUT_OF_SERVICE', 'Out of service', 'it is no longer listed to callers'],
  ['UP', 'Return to service', 'it takes traffic again'],
];

const CHANGE_LABELS = {
  REGISTERED: ['up', 'registered'],
  DRAINED: ['draining', 'drained'],
  STATUS_CHANGED: ['out', 'status changed'],
  DECLARED_EXPIRED: ['unhealthy', 'declared expired'],
  REVIVED: ['healthy', 'revived'],
  REMOVED: ['out', 'removed'],
};

export function mount(main, params, context) {
  const { namespace, service } = params;
  const admin = context.who.may('admin', namespace);
  const nodeClock = new NodeClock();
  let data = null;
  let stream = 'connecting';
  let stopped = false;
  let loading = false;
  let again = false;
  let pollTimer = null;
  let drawn = '';
  let watching = false;
  let stopWatch = () => {};

  const live = h('p', { id: 'live', class: 'live-state', role: 'status', 'aria-live': 'polite' });
  const notice = h('div', { id: 'notice', role: 'alert' });
  const summary = h('p', { class: 'muted' }, 'Loading…');
  const instances = h('div', { id: 'instances-box' });
  const changes = h('div', { id: 'changes-box' });
  fill(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: `#/services?ns=${encodeURIComponent(namespace)}` }, `Services in ${namespace}`), ' › '),
    h('h1', {}, service),
    summary,
    live,
    notice,
    h('h2', {}, 'Instances'),
    admin ? null : h('p', { class: 'muted small' }, `Actions need the role admin in namespace “${namespace}”.`),
    instances,
    h('h2', {}, 'Recent changes'),
    h('p', { class: 'muted small' }, 'As this node saw them since it started, newest first.'),
    changes,
  );

  function say(kind, text) {
    fill(notice, text ? h('p', { class: kind }, text) : null);
  }

  /** Reads the service; a call while one is in flight makes one more read after it. */
  async function load() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      do {
        again = false;
        try {
          data = await getJson(`api/service?namespace=${encodeURIComponent(namespace)}&service=${encodeURIComponent(service)}`);
          nodeClock.learn(data.now);
          instances.classList.remove('stale');
          render();
          startWatch();
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) {
            context.signIn(error.message);
            stopped = true;
            return;
          }
          instances.classList.add('stale');
          say('error', `Not current: ${error.message}`);
        }
      } while (again && !stopped);
    } finally {
      loading = false;
    }
  }

  function schedule() {
    clearTimeout(pollTimer);
    if (!stopped) {
      pollTimer = setTimeout(async () => {
        await load();
        schedule();
      }, stream === 'live' ? POLL_MILLIS : POLL_WITHOUT_STREAM_MILLIS);
    }
  }

  /**
   * Draws the page, the tables only when something but time moved: a redraw under the pointer
   * could swallow a click, and leases move with every heartbeat. Times are then kept current in
   * place ({@link tick}).
   */
  function render() {
    if (!data) {
      return;
    }
    const now = nodeClock.now();
    const counted = data.instances.reduce(
      (sum, instance) => {
        sum[instance.healthy ? 'healthy' : 'unhealthy'] += 1;
        return sum;
      },
      { healthy: 0, unhealthy: 0 },
    );
    fill(
      summary,
      `Namespace ${data.namespace} · revision ${data.revision} · ${data.instances.length} instances, `,
      `${counted.healthy} healthy, ${counted.unhealthy} unhealthy`,
    );
    const shape = JSON.stringify({
      changes: data.changes,
      instances: data.instances.map((instance) => ({
        ...instance,
        lease: instance.lease && { ttl: instance.lease.ttlMillis, declared: instance.lease.declaredExpired },
      })),
    });
    if (shape !== drawn) {
      drawn = shape;
      keepFocus(instances, () => fill(instances, instancesTable(now)));
      fill(changes, changesTable());
    } else {
      for (const instance of data.instances) {
        const cell = instances.querySelector(`tr[data-instance="${CSS.escape(instance.id)}"] [data-field="lease"]`);
        if (cell) {
          fill(cell, lease(instance.lease, now));
        }
      }
    }
    tick();
  }

  /** Brings every age and time to expiry shown to the node's now. */
  function tick() {
    const now = nodeClock.now();
    for (const element of main.querySelectorAll('[data-ago]')) {
      element.textContent = ago(now, Number(element.dataset.ago));
    }
    for (const element of main.querySelectorAll('[data-expires]')) {
      const left = Number(element.dataset.expires) - now;
      element.textContent = left >= 0 ? `expires in ${duration(left)}` : `overdue by ${duration(-left)}`;
    }
  }

  function instancesTable(now) {
    return h(
      'table',
      { id: 'instances' },
      h('caption', {}, `Instances of ${service}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Instance', 'Address', 'Weight (share of new work)', 'Zone', 'Version', 'Status', 'Health', 'Lease', 'Metadata']
            .map((label) => h('th', { scope: 'col' }, label)),
          admin ? h('th', { scope: 'col' }, 'Actions') : null,
        ),
      ),
      h(
        'tbody',
        {},
        data.instances.length === 0
          ? h('tr', {}, h('td', { colspan: admin ? 10 : 9, class: 'muted' }, 'No instance is registered.'))
          : data.instances.map((instance) => instanceRow(instance, now)),
      ),
    );
  }

  function instanceRow(instance, now) {
    const percent = Math.round(instance.share * 1000) / 10;
    return h(
      'tr',
      {
        'data-instance': instance.id,
        'data-status': instance.status,
        'data-health': instance.healthy ? 'healthy' : 'unhealthy',
        class: instance.healthy ? null : 'sick',
      },
      h('th', { scope: 'row' }, h('code', {}, instance.id), h('div', { class: 'muted small' }, `epoch ${instance.epoch}, registered `, since(instance.registeredAtMillis, now))),
      h(
        'td',
        {},
        h('code', {}, `${instance.host}:${instance.port}`),
        Object.entries(instance.ports).map(([name, port]) => h('div', { class: 'muted small' }, `${name} ${port}`)),
      ),
      h(
        'td',
        { class: 'weight' },
        h('meter', { min: 0, max: 1, value: instance.share, title: `${percent} % of new work` }),
        h('span', {}, ` ${instance.weight} · ${percent} %`),
      ),
      h('td', { class: 'nowrap' }, instance.zone || h('span', { class: 'muted' }, '—')),
      h('td', { class: 'nowrap' }, instance.version || h('span', { class: 'muted' }, '—')),
      h('td', { 'data-field': 'status' }, statusBadge(instance.status)),
      h(
        'td',
        { 'data-field': 'health' },
        healthBadge(instance.healthy),
        instance.conditions.map((condition) =>
          h(
            'div',
            { class: 'muted small', 'data-condition': condition.type },
            `${condition.type}: ${condition.reason} (${condition.message}), since `,
            since(condition.sinceMillis, now),
          ),
        ),
      ),
      h('td', { 'data-field': 'lease' }, lease(instance.lease, now)),
      h(
        'td',
        {},
        Object.keys(instance.metadata).length === 0
          ? h('span', { class: 'muted' }, '—')
          : h('ul', { class: 'chips' }, Object.entries(instance.metadata).map(([key, value]) => h('li', {}, `${key}=${value}`))),
      ),
      admin ? h('td', {}, h('div', { class: 'actions' }, actions(instance))) : null,
    );
  }

  function lease(held, now) {
    if (!held) {
      return h('span', { class: 'muted' }, '—');
    }
    if (held.declaredExpired) {
      return [
        h('span', { class: 'badge unhealthy' }, 'expired ', since(held.expiresAtMillis, now)),
        h('div', { class: 'muted small' }, `TTL ${duration(held.ttlMillis)}; removed after the grace unless it heartbeats`),
      ];
    }
    const left = held.expiresAtMillis - now;
    return [
      h('div', { 'data-expires': held.expiresAtMillis }, left >= 0 ? `expires in ${duration(left)}` : `overdue by ${duration(-left)}`),
      h('div', { class: 'muted small' }, 'renewed ', since(held.renewedAtMillis, now), `, TTL ${duration(held.ttlMillis)}`),
    ];
  }

  function since(millis, now) {
    return h('span', { 'data-ago': millis }, ago(now, millis));
  }

  function actions(instance) {
    return ACTIONS.filter(([status]) => status !== instance.status).map(([status, label, what]) =>
      h(
        'button',
        {
          type: 'button',
          'data-action': status,
          'data-focus': `${instance.id}-${status}`,
          onclick: () => act(instance, status, label, what),
        },
        label,
      ),
    );
  }

  async function act(instance, status, label, what) {
    const sure = await context.confirm(`${label} ${instance.id} of ${service}: ${what}.`, label);
    if (!sure) {
      return;
    }
    try {
      await postJson('/v1/set-status', {
        key: { namespace, service, instanceId: instance.id },
        status: `INSTANCE_STATUS_${status}`,
      });
      say('ok', `${instance.id}: ${label.toLowerCase()} done.`);
      load();
    } catch (error) {
      say('error', `${label} ${instance.id} was refused: ${error.message}`);
    }
  }

  function changesTable() {
    if (data.changes.length === 0) {
      return h('p', { class: 'muted' }, 'None yet.');
    }
    return h(
      'table',
      { id: 'changes' },
      h('caption', { class: 'visually-hidden' }, `Recent changes of ${service}`),
      h('thead', {}, h('tr', {}, ['Time', 'Change', 'Instance', 'Detail', 'Revision'].map((label) => h('th', { scope: 'col' }, label)))),
      h(
        'tbody',
        {},
        data.changes.map((change) => {
          const [kind, label] = CHANGE_LABELS[change.kind] || ['out', change.kind.toLowerCase()];
          return h(
            'tr',
            { 'data-change': change.kind },
            h('td', {}, clock(change.atMillis)),
            h('td', {}, badge(kind, label)),
            h('td', {}, h('code', {}, change.instanceId)),
            h('td', {}, change.detail),
            h('td', { class: 'num' }, change.revision),
          );
        }),
      ),
    );
  }

  function showStream(state, why, delay) {
    stream = state;
    live.className = `live-state ${state}`;
    live.textContent = {
      connecting: 'Connecting to the change stream…',
      live: '● Live: changes appear as they happen',
      reconnecting: `Change stream lost (${why}); retrying in ${duration(delay || 0)}, reading every second meanwhile`,
      failed: `No change stream (${why}); reading every second`,
    }[state];
    schedule();
  }

  function startWatch() {
    if (watching || stopped) {
      return;
    }
    watching = true;
    stopWatch = follow({
      namespace,
      service,
      revision: data.revision,
      incarnation: data.incarnation,
      onChange: () => load(),
      onState: showStream,
    });
  }

  load().then(schedule);
  // Ages and times to expiry move every second, between reads.
  const ticker = setInterval(tick, 1000);

  return () => {
    stopped = true;
    clearTimeout(pollTimer);
    clearInterval(ticker);
    stopWatch();
  };
}
