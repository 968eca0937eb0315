// Small helpers shared by the pages: building DOM nodes (text only: nothing from the node is ever
// parsed as HTML) and formatting figures and times.

/**
 * An element: h('td', { class: 'num' }, 'text', child, ...). Attributes starting with "on" are
 * listeners; null and false children are skipped; strings become text nodes.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.appendChild(child);
    } else {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces what `element` holds with `children`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** "1.2 s", "3 min 4 s", "2 h 5 min", "3 d 4 h" for a duration in milliseconds (>= 0). */
export function duration(millis) {
  const ms = Math.max(0, Math.round(millis));
  if (ms < 1000) {
    return `${ms} ms`;
  }
  const seconds = ms / 1000;
  if (seconds < 10) {
    return `${seconds.toFixed(1)} s`;
  }
  if (seconds < 60) {
    return `${Math.floor(seconds)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${Math.floor(seconds % 60)} s`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ${minutes % 60} min`;
  }
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "4.2 s ago" for a time `millis` before `now` (both on the node's clock). */
export function ago(now, millis) {
  return `${duration(now - millis)} ago`;
}

/** The time of day of `millis`, for a list of events, with the full date in a tooltip. */
export function clock(millis) {
  const date = new Date(millis);
  return h(
    'time',
    { datetime: date.toISOString(), title: date.toLocaleString() },
    date.toLocaleTimeString([], { hour12: false }),
  );
}

/** A rate per second: "0", "0.4", "12", "1,250". */
export function rate(perSecond) {
  if (!perSecond) {
    return '0';
  }
  if (perSecond < 10) {
    return perSecond.toFixed(1);
  }
  return Math.round(perSecond).toLocaleString('en');
}

export function count(n) {
  return Number(n || 0).toLocaleString('en');
}

/** A status badge with its text (the colour only repeats what the text says). */
export function badge(kind, text, title) {
  return h('span', { class: `badge ${kind}`, title }, text);
}

/** The badge of an instance's status, in words. */
export function statusBadge(status) {
  switch (status) {
    case 'UP':
      return badge('up', 'up', 'takes traffic');
    case 'DRAINING':
      return badge('draining', 'draining', 'listed, but callers send it no new work');
    case 'OUT_OF_SERVICE':
      return badge('out', 'out of service', 'listed only to those asking for unhealthy instances');
    default:
      return badge('out', String(status).toLowerCase());
  }
}

export function healthBadge(healthy) {
  return healthy
    ? badge('healthy', '✓ healthy', 'heartbeats arrive in time')
    : badge('unhealthy', '✕ unhealthy', 'its lease expired: no heartbeat within its TTL');
}

/** The clock offset between the node and this browser, kept from the last answer. */
export class NodeClock {
  constructor() {
    this.offset = 0;
  }

  /** Learns the node's time from an answer's `now`. */
  learn(nodeNow) {
    if (typeof nodeNow === 'number') {
      this.offset = nodeNow - Date.now();
    }
  }

  now() {
    return Date.now() + this.offset;
  }
}

/**
 * Runs `render` (which replaces what `container` shows) and gives the focus back to the element
 * that had it, found again by its `data-focus` attribute: live pages redraw every few seconds, and
 * a keyboard user must not lose their place.
 */
export function keepFocus(container, render) {
  const active = document.activeElement;
  const id = active && container.contains(active) ? active.getAttribute('data-focus') : null;
  render();
  if (id) {
    const again = container.querySelector(`[data-focus="${CSS.escape(id)}"]`);
    if (again) {
      again.focus();
    }
  }
}
