// The dashboard's shell: hash routes (deep links work, the node serves one page), the connection
// indicator, sign-in when the node checks callers, and the confirmation dialog for actions.
//
//   #/cluster                      members, leader, quorum, protection, rates
//   #/services?ns=<namespace>      the services of a namespace
//   #/service/<namespace>/<name>   one service's instances, live

import { ApiError, onConnection, setToken, token, whoAmI } from './api.js';
import { duration, fill, h } from './format.js';
import * as clusterPage from './cluster.js';
import * as servicesPage from './services.js';
import * as servicePage from './service.js';

const main = document.getElementById('main');
const connection = document.getElementById('connection');
const whoBox = document.getElementById('who');

let unmount = () => {};
let who = null;

/** The route of a hash: { page, params }. */
export function route(hash) {
  const [path, query = ''] = (hash || '').replace(/^#/, '').split('?');
  const parts = path.split('/').filter((part) => part !== '').map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query));
  if (parts[0] === 'services') {
    return { page: 'services', params };
  }
  if (parts[0] === 'service' && parts.length === 3) {
    return { page: 'service', params: { ...params, namespace: parts[1], service: parts[2] } };
  }
  return { page: 'cluster', params };
}

const pages = { cluster: clusterPage, services: servicesPage, service: servicePage };

async function show() {
  unmount();
  unmount = () => {};
  const { page, params } = route(location.hash);
  for (const link of document.querySelectorAll('nav a[data-page]')) {
    const current = link.dataset.page === page || (page === 'service' && link.dataset.page === 'services');
    if (current) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  if (!who) {
    try {
      who = await whoAmI();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        signIn(error.message);
        return;
      }
      fill(main, h('p', { class: 'error', role: 'alert' }, `Cannot read who you are: ${error.message}`));
      setTimeout(show, 2000);
      return;
    }
    showWho();
  }
  const context = { who, confirm, signIn };
  unmount = pages[page].mount(main, params, context) || (() => {});
}

function showWho() {
  if (!who.accessControl) {
    fill(whoBox, h('span', { class: 'muted', title: 'this node has no access file: everyone may do everything' }, 'open access'));
    return;
  }
  fill(
    whoBox,
    h('span', { title: rolesText(who.roles) }, 'signed in as ', h('strong', {}, who.principal)),
    ' ',
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'sign out'),
  );
}

function rolesText(roles) {
  return Object.entries(roles)
    .map(([namespace, held]) => `${namespace === '*' ? 'every namespace' : namespace}: ${held.join(', ')}`)
    .join('; ');
}

function signOut() {
  setToken('');
  who = null;
  fill(whoBox);
  signIn('Signed out.');
}

/** Asks for a token (the node refused the last one, or there was none), then shows the page again. */
function signIn(why) {
  unmount();
  unmount = () => {};
  who = null;
  fill(main, h('p', { class: 'muted' }, 'Sign in to see this node’s registry.'));
  const dialog = document.getElementById('login');
  document.getElementById('login-why').textContent =
    token() ? `The node refused the token: ${why}` : 'This node checks who calls. Give a bearer token from its access file.';
  const input = document.getElementById('login-token');
  input.value = '';
  dialog.onclose = () => {
    if (input.value.trim()) {
      setToken(input.value.trim());
    }
    show();
  };
  if (!dialog.open) {
    dialog.showModal();
  }
}

/** Asks to confirm `text`; resolves to true when confirmed. */
function confirm(text, action) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = action;
  return new Promise((resolve) => {
    dialog.onclose = () => resolve(dialog.returnValue === 'ok');
    dialog.returnValue = '';
    dialog.showModal();
    document.getElementById('confirm-ok').focus();
  });
}

// The indicator: live while answers come, and says since when the node is silent otherwise.
onConnection(({ ok, lastOk, failure }) => {
  if (ok) {
    connection.className = 'connection live';
    connection.textContent = 'connected';
    return;
  }
  connection.className = 'connection down';
  connection.textContent = lastOk
    ? `node unreachable for ${duration(Date.now() - lastOk)}: ${failure.message}`
    : `node unreachable: ${failure.message}`;
});

window.addEventListener('hashchange', show);
if (!location.hash) {
  history.replaceState(null, '', '#/cluster');
}
show();
