// The cluster page: members and their addresses, who leads and since when, the leader epoch,
// quorum, the eviction protection, registry counts, and each node's rates and open streams.
// Polled every 1.5 s from api/cluster.

import { ApiError, getJson, poll } from './api.js';
import { ago, badge, count, fill, h, rate } from './format.js';

const POLL_MILLIS = 1500;

export function mount(main, params, context) {
  fill(main, h('h1', {}, 'Cluster'), h('p', { class: 'muted' }, 'Loading…'));
  const body = h('div', { id: 'cluster' });
  let shown = false;
  const stop = poll(async () => {
    try {
      const cluster = await getJson('api/cluster');
      render(body, cluster);
      if (!shown) {
        fill(main, h('h1', {}, 'Cluster ', h('span', { class: 'muted' }, cluster.clusterName)), body);
        shown = true;
      }
      body.classList.remove('stale');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        context.signIn(error.message);
        return;
      }
      body.classList.add('stale');
      if (!shown) {
        fill(main, h('h1', {}, 'Cluster'), h('p', { class: 'error', role: 'alert' }, error.message));
      }
    }
  }, POLL_MILLIS);
  return stop;
}

function render(body, cluster) {
  const leader = cluster.members.find((member) => member.leader);
  const leaderName = leader ? leader.name || leader.id : 'none';
  fill(
    body,
    h(
      'section',
      { class: 'cards', 'aria-label': 'Summary' },
      card(
        'Leader',
        leaderName,
        [
          `epoch ${cluster.leader.epoch || '—'}`,
          cluster.leader.sinceMillis ? `since ${ago(cluster.now, cluster.leader.sinceMillis)}` : null,
        ],
        'leader',
      ),
      card(
        'Quorum',
        cluster.quorum.hasQuorum ? badge('healthy', '✓ has quorum') : badge('unhealthy', '✕ no quorum'),
        [`${cluster.quorum.reachable} of ${cluster.quorum.configuredSize} nodes reachable`],
        'quorum',
      ),
      card(
        'Eviction protection',
        cluster.protection.active ? badge('draining', 'holding back') : badge('healthy', 'idle'),
        [
          `budget ${cluster.protection.budgetPercentPerMinute} % of the registry a minute`,
          `${count(cluster.protection.heldBack)} expired leases held back`,
        ],
        'protection',
      ),
      card(
        'Registry',
        `${count(cluster.counts.instances)} instances`,
        [
          `${count(cluster.counts.services)} services`,
          // ClusterStatus counts an instance out of service with the unhealthy: neither serves.
          `${count(cluster.counts.healthy)} serving, ${count(cluster.counts.unhealthy)} unhealthy or out of service`,
        ],
        'counts',
      ),
    ),
    warnings(cluster),
    membersTable(cluster),
  );
}

function card(title, value, lines, id) {
  return h(
    'article',
    { class: 'card', 'aria-labelledby': `card-${id}` },
    h('h2', { id: `card-${id}` }, title),
    h('p', { class: 'value', 'data-card': id }, value),
    lines.filter(Boolean).map((line) => h('p', { class: 'muted small' }, line)),
  );
}

function warnings(cluster) {
  const items = [];
  for (const gap of cluster.securityGaps) {
    items.push(h('li', {}, `Runs without ${gap}.`));
  }
  for (const stranger of cluster.strangers) {
    items.push(h('li', {}, `A stranger joined the member port: ${stranger}.`));
  }
  if (!cluster.quorum.hasQuorum) {
    items.push(h('li', {}, 'This node sees no majority: nothing is evicted, writes are refused.'));
  }
  return items.length ? h('ul', { class: 'warnings', 'aria-label': 'Warnings' }, items) : null;
}

const OPERATIONS = [
  ['register', 'Registrations'],
  ['heartbeat', 'Heartbeats'],
  ['discover', 'Discovers'],
  ['deregister', 'Deregistrations'],
  ['set_status', 'Status changes'],
];

function membersTable(cluster) {
  return h(
    'table',
    { id: 'members' },
    h('caption', {}, `Members (${cluster.members.length}), oldest first; rates per second over the last few seconds`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Node'),
        h('th', { scope: 'col' }, 'Role'),
        h('th', { scope: 'col' }, 'API address'),
        h('th', { scope: 'col' }, 'Member address'),
        OPERATIONS.map(([, label]) => h('th', { scope: 'col', class: 'num' }, label)),
        h('th', { scope: 'col', class: 'num' }, 'Open streams'),
        h('th', { scope: 'col' }, 'Figures'),
      ),
    ),
    h(
      'tbody',
      {},
      cluster.members.map((member) =>
        h(
          'tr',
          { 'data-member': member.name || member.id },
          h('th', { scope: 'row' }, member.name || member.id, member.local ? h('span', { class: 'muted small' }, ' (this node)') : null),
          h('td', {}, member.leader ? badge('leader', '★ leader') : 'follower'),
          h('td', {}, h('code', {}, member.apiAddress)),
          h('td', {}, h('code', {}, member.memberAddress)),
          OPERATIONS.map(([key]) =>
            h('td', { class: 'num', 'data-rate': key }, member.stats ? rate(member.stats.perSecond[key]) : '—'),
          ),
          h('td', { class: 'num' }, member.stats ? count(member.stats.streamsOpen) : '—'),
          h(
            'td',
            {},
            !member.stats
              ? badge('out', 'none yet')
              : member.stats.stale
                ? badge('unhealthy', `stale: ${ago(cluster.now, member.stats.atMillis)}`)
                : h('span', { class: 'muted small' }, ago(cluster.now, member.stats.atMillis)),
          ),
        ),
      ),
    ),
  );
}
