// dom.js: building the page without HTML strings. h() makes an element from a tag,
// attributes and children; children that are strings become text nodes, so text from
// members (memos, names, listings) is always shown as text and never parsed as HTML.
// Nothing in the app assigns innerHTML.

/**
 * h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child, [more children])
 * Attributes starting with "on" are listeners; `false`, null and undefined ones are
 * left out; children may be nested arrays, strings, numbers, Nodes, null.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what element holds with children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A labelled form field: <label>text <input ...></label> with an id for tests. */
export function field(label, input, hint = null) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), input, hint && h('small', {}, hint));
}

/** A message line (role=status, or role=alert for errors) that screen readers announce. */
export function notice(kind, ...text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...text);
}

/** Short form of an address for tables: tly1abcd…wxyz (the full one in the title). */
export function shortAddress(address) {
  return h('span', { class: 'address', title: address }, `${address.slice(0, 8)}…${address.slice(-4)}`);
}

/** Date and time of a unix time in seconds, in the reader's locale and zone. */
export function formatTime(seconds) {
  return new Date(Number(seconds) * 1000).toLocaleString();
}

let pendingFlash = null;

/** A message for the view shown next (after an action re-renders the page). */
export function setFlash(text) {
  pendingFlash = text;
}

/** The message set by setFlash, once: app.js puts it at the top of the new view. */
export function takeFlash() {
  const text = pendingFlash;
  pendingFlash = null;
  return text;
}
