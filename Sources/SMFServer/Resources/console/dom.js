// DOM helpers. Every piece of text goes in through text nodes or
// setAttribute: nothing here (or anywhere in the console) parses HTML.
const SVG_NS = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === 'dataset') {
      for (const [key, data] of Object.entries(value)) element.dataset[key] = String(data);
    } else if (name === 'value' && 'value' in element) {
      element.value = String(value);
    } else if (name === 'checked' || name === 'selected' || name === 'disabled' || name === 'multiple' || name === 'required') {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h('button', {type: 'button', on: {click}}, 'Save'). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(element) {
  while (element.firstChild) element.firstChild.remove();
  return element;
}

export function replace(element, ...children) {
  clear(element);
  return append(element, children);
}

let fieldCounter = 0;
/** A labelled form field: the label's `for` points at the control. */
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++fieldCounter}`;
  const wrapper = h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  if (hint) {
    const hintID = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hintID);
    wrapper.append(h('small', { id: hintID, class: 'hint' }, hint));
  }
  return wrapper;
}

export function formatTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A status line that screen readers announce. */
export function statusLine() {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

export function showError(target, error) {
  const lines = [error && error.message ? error.message : String(error)];
  if (error && Array.isArray(error.fieldErrors)) {
    for (const item of error.fieldErrors) lines.push(`${item.pointer || '(body)'}: ${item.detail}`);
  }
  replace(target, h('span', { class: 'error' }, lines.join(' — ')));
}

export function table(headers, rows, caption) {
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length }, 'Nothing yet.'))));
}
