// The services page: every service of a namespace with its instances counted by health and status,
// and its revision; filter by name, sort by any column, pick the namespace. Polled every 2 s.

import { ApiError, getJson, poll } from './api.js';
import { count, fill, h, keepFocus } from './format.js';

const POLL_MILLIS = 2000;

const COLUMNS = [
  ['service', 'Service', false],
  ['instances', 'Instances', true],
  ['serving', 'Serving', true],
  ['healthy', 'Healthy', true],
  ['unhealthy', 'Unhealthy', true],
  ['draining', 'Draining', true],
  ['outOfService', 'Out of service', true],
  ['revision', 'Revision', true],
];

export function mount(main, params, context) {
  const namespace = params.ns || 'default';
  const state = { filter: params.q || '', sortKey: 'service', ascending: true, answer: null };

  const select = h('select', { id: 'namespace', onchange: () => go(select.value) });
  const filter = h('input', {
    id: 'filter',
    type: 'search',
    value: state.filter,
    placeholder: 'name contains…',
    oninput: () => {
      state.filter = filter.value;
      renderTable();
    },
  });
  const status = h('p', { class: 'muted small', role: 'status' });
  const table = h('div', {});
  fill(
    main,
    h('h1', {}, 'Services'),
    h(
      'form',
      { class: 'toolbar', onsubmit: (event) => event.preventDefault() },
      h('label', { for: 'namespace' }, 'Namespace'),
      select,
      h('label', { for: 'filter' }, 'Filter'),
      filter,
    ),
    status,
    table,
  );

  function go(next) {
    location.hash = `#/services?ns=${encodeURIComponent(next)}`;
  }

  function renderNamespaces(namespaces) {
    const current = Array.from(select.options).map((option) => option.value).join();
    if (current === namespaces.join()) {
      return;
    }
    fill(select, namespaces.map((name) => h('option', { value: name, selected: name === namespace }, name)));
  }

  function sortBy(key) {
    state.ascending = state.sortKey === key ? !state.ascending : key === 'service';
    state.sortKey = key;
    renderTable();
  }

  function renderTable() {
    if (state.answer) {
      keepFocus(table, drawTable);
    }
  }

  function drawTable() {
    const needle = state.filter.trim().toLowerCase();
    const rows = state.answer.services
      .filter((service) => service.service.toLowerCase().includes(needle))
      .sort((a, b) => {
        const x = a[state.sortKey];
        const y = b[state.sortKey];
        const order = typeof x === 'string' ? x.localeCompare(y) : x - y;
        return (state.ascending ? order : -order) || a.service.localeCompare(b.service);
      });
    fill(
      table,
      h(
        'table',
        { id: 'services' },
        h('caption', {}, `${rows.length} of ${state.answer.services.length} services in namespace “${namespace}”`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            COLUMNS.map(([key, label, numeric]) =>
              h(
                'th',
                {
                  scope: 'col',
                  class: numeric ? 'num' : null,
                  'data-key': key,
                  'aria-sort': state.sortKey === key ? (state.ascending ? 'ascending' : 'descending') : 'none',
                },
                h('button', { type: 'button', class: 'sort', 'data-focus': `sort-${key}`, onclick: () => sortBy(key) }, label,
                  h('span', { 'aria-hidden': 'true' }, state.sortKey === key ? (state.ascending ? ' ▲' : ' ▼') : '')),
              ),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          rows.length === 0
            ? h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'muted' }, needle ? 'No service matches the filter.' : 'No service is registered in this namespace.'))
            : rows.map((service) =>
                h(
                  'tr',
                  { 'data-service': service.service },
                  h('th', { scope: 'row' }, h('a', { href: `#/service/${encodeURIComponent(namespace)}/${encodeURIComponent(service.service)}`, 'data-focus': `service-${service.service}` }, service.service)),
                  h('td', { class: 'num' }, count(service.instances)),
                  h('td', { class: 'num' }, count(service.serving)),
                  h('td', { class: 'num' }, count(service.healthy)),
                  h('td', { class: service.unhealthy ? 'num bad' : 'num' }, count(service.unhealthy)),
                  h('td', { class: service.draining ? 'num warn' : 'num' }, count(service.draining)),
                  h('td', { class: 'num' }, count(service.outOfService)),
                  h('td', { class: 'num' }, service.revision),
                ),
              ),
        ),
      ),
    );
  }

  return poll(async () => {
    try {
      state.answer = await getJson(`api/services?namespace=${encodeURIComponent(namespace)}`);
      renderNamespaces(state.answer.namespaces);
      status.textContent = '';
      status.className = 'muted small';
      table.classList.remove('stale');
      renderTable();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        context.signIn(error.message);
        return;
      }
      table.classList.add('stale');
      status.textContent = `Not current: ${error.message}`;
      status.className = 'error small';
    }
  }, POLL_MILLIS);
}
