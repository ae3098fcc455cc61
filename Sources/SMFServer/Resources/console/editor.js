// The flow editor: the graph on an SVG canvas (drag nodes, drag from an
// output port to an input port to connect), settings forms generated from
// the node catalog's JSON Schemas, problems shown on their node, and
// save / deploy / rollback with the ETag in If-Match.
import { call, get, workspacePath } from './api.js';
import { h, s, replace, clear, field, statusLine, showError } from './dom.js';
import { state, nodeTypes, onLeave } from './app.js';

const NODE_WIDTH = 180;
const HEADER = 34;
const ROW = 22;
const VIEW = { width: 1000, height: 640 };

function nodeHeight(type, node) {
  const rows = Math.max(inputsOf(type).length, outputsOf(type, node).length, 1);
  return HEADER + rows * ROW + 16;
}

function inputsOf(type) { return type ? type.inputs : []; }

/** Static outputs, after those a list setting makes (route.keyword's branches). */
function outputsOf(type, node) {
  if (!type) return [];
  const dynamic = [];
  const from = type.outputs_from_setting;
  if (from && node.settings && Array.isArray(node.settings[from.setting])) {
    for (const item of node.settings[from.setting]) {
      if (item && typeof item[from.name_field] === 'string') dynamic.push({ name: item[from.name_field], type: from.type });
    }
  }
  return dynamic.concat(type.outputs);
}

function portY(index) { return HEADER + index * ROW + ROW / 2 + 4; }

function firstText(node) {
  for (const value of Object.values(node.settings || {})) {
    if (typeof value === 'string' && value.length && !/^[0-9a-f-]{36}$/i.test(value)) return value.length > 26 ? `${value.slice(0, 25)}…` : value;
  }
  return '';
}

export async function editorPage(main, flowID) {
  const types = await nodeTypes();
  const typeByID = new Map(types.map((t) => [t.id, t]));
  const isNew = flowID === 'new';
  let flow = isNew ? null : null;
  let etag = null;
  let doc = { nodes: [], edges: [] };
  let selected = null;
  let dirty = false;
  let problems = [];
  const credentialCache = new Map();

  if (!isNew) {
    const result = await call('GET', workspacePath(state.workspaceID, `/flows/${encodeURIComponent(flowID)}`));
    flow = result.body;
    etag = result.etag;
    doc = flow.document;
  }
  for (const node of doc.nodes) {
    if (!node.settings) node.settings = {};
    if (!node.position) node.position = { x: 40, y: 40 };
  }

  const heading = h('h1', {}, isNew ? 'New flow' : `Flow: ${flow.name}`);
  const name = h('input', { type: 'text', id: 'flow-name', maxlength: '100', required: true, value: flow ? flow.name : 'Untitled flow' });
  const comment = h('input', { type: 'text', id: 'flow-comment', maxlength: '500', placeholder: 'What changed' });
  const status = statusLine();
  status.id = 'editor-status';
  const info = h('p', { class: 'flow-info', id: 'flow-info' });
  const versions = h('select', { id: 'rollback-version' });
  const generalProblems = h('ul', { class: 'problems', id: 'general-problems', 'aria-label': 'Problems of the flow' });

  const svg = s('svg', {
    class: 'canvas', id: 'canvas', viewBox: `0 0 ${VIEW.width} ${VIEW.height}`, role: 'group',
    'aria-label': 'Flow canvas: Tab to a node, arrow keys move it, Enter selects it, Delete removes it',
  });
  const edgeLayer = s('g', { class: 'edges' });
  const nodeLayer = s('g', { class: 'nodes' });
  const dragLine = s('line', { class: 'drag-line', x1: 0, y1: 0, x2: 0, y2: 0, visibility: 'hidden' });
  svg.append(s('rect', { class: 'canvas-bg', x: 0, y: 0, width: VIEW.width, height: VIEW.height }), edgeLayer, nodeLayer, dragLine);
  const inspector = h('aside', { class: 'inspector', 'aria-label': 'Selected node' });

  function markDirty() { dirty = true; status.textContent = 'Unsaved changes.'; }

  function showInfo() {
    if (!flow) { info.textContent = 'Not saved yet.'; return; }
    info.textContent = `Status ${flow.status}; latest version ${flow.latest_version}; live version ${flow.deployed_version ?? 'none'}.`;
  }

  // ------------------------------------------------------------ canvas
  function toCanvas(event) {
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const matrix = svg.getScreenCTM();
    return matrix ? point.matrixTransform(matrix.inverse()) : { x: event.clientX, y: event.clientY };
  }

  function portPosition(nodeID, port, direction) {
    const node = doc.nodes.find((n) => n.id === nodeID);
    if (!node) return null;
    const type = typeByID.get(node.type);
    const ports = direction === 'out' ? outputsOf(type, node) : inputsOf(type);
    const index = ports.findIndex((p) => p.name === port);
    if (index < 0) return null;
    return { x: node.position.x + (direction === 'out' ? NODE_WIDTH : 0), y: node.position.y + portY(index) };
  }

  function drawEdges() {
    clear(edgeLayer);
    doc.edges.forEach((edge, index) => {
      const from = portPosition(edge.from.node, edge.from.port, 'out');
      const to = portPosition(edge.to.node, edge.to.port, 'in');
      if (!from || !to) return;
      const bend = Math.max(40, Math.abs(to.x - from.x) / 2);
      const flagged = problems.some((p) => p.edge === index);
      edgeLayer.append(s('path', {
        class: flagged ? 'edge has-error' : 'edge',
        d: `M ${from.x} ${from.y} C ${from.x + bend} ${from.y}, ${to.x - bend} ${to.y}, ${to.x} ${to.y}`,
        dataset: { edge: `${edge.from.node}.${edge.from.port}->${edge.to.node}.${edge.to.port}` },
      }, s('title', {}, `${edge.from.node}.${edge.from.port} → ${edge.to.node}.${edge.to.port}`)));
    });
  }

  function drawNode(node) {
    const type = typeByID.get(node.type);
    const height = nodeHeight(type, node);
    const mine = problems.filter((p) => p.node === node.id);
    const errors = mine.filter((p) => p.severity !== 'warning');
    const classes = ['node', type ? type.category : 'unknown'];
    if (node.id === selected) classes.push('selected');
    if (errors.length) classes.push('has-error'); else if (mine.length) classes.push('has-warning');
    const group = s('g', {
      class: classes.join(' '), transform: `translate(${node.position.x} ${node.position.y})`, tabindex: '0',
      role: 'button', 'aria-label': `Node ${node.id}, ${type ? type.title : node.type}${mine.length ? `, ${mine.length} problem(s)` : ''}`,
      'aria-pressed': node.id === selected ? 'true' : 'false',
      dataset: { node: node.id },
    });
    group.append(
      s('rect', { class: 'node-body', width: NODE_WIDTH, height, rx: 6 }),
      s('text', { class: 'node-title', x: 10, y: 20 }, type ? type.title : node.type),
      s('text', { class: 'node-id', x: 10, y: height - 6 }, firstText(node) || node.id));
    if (mine.length) {
      group.append(s('text', { class: 'node-problem', x: NODE_WIDTH - 10, y: 20, 'text-anchor': 'end' }, `⚠ ${mine.length}`),
        s('title', {}, mine.map((p) => p.detail).join('\n')));
    }
    inputsOf(type).forEach((port, index) => {
      group.append(
        s('circle', { class: 'port in', cx: 0, cy: portY(index), r: 7, dataset: { node: node.id, port: port.name, kind: 'in' } },
          s('title', {}, `input ${port.name} (${port.type})`)),
        s('text', { class: 'port-label', x: 12, y: portY(index) + 4 }, port.name));
    });
    outputsOf(type, node).forEach((port, index) => {
      group.append(
        s('circle', { class: 'port out', cx: NODE_WIDTH, cy: portY(index), r: 7, dataset: { node: node.id, port: port.name, kind: 'out' } },
          s('title', {}, `output ${port.name} (${port.type})`)),
        s('text', { class: 'port-label', x: NODE_WIDTH - 12, y: portY(index) + 4, 'text-anchor': 'end' }, port.name));
    });
    group.addEventListener('keydown', (event) => keyOnNode(event, node));
    group.addEventListener('focus', () => { if (selected !== node.id) { /* focus alone does not select */ } });
    return group;
  }

  function drawNodes() {
    clear(nodeLayer);
    for (const node of doc.nodes) nodeLayer.append(drawNode(node));
  }

  function redraw(focusID) {
    drawEdges();
    drawNodes();
    if (focusID) {
      const target = nodeLayer.querySelector(`[data-node="${CSS.escape(focusID)}"]`);
      if (target) target.focus();
    }
  }

  function keyOnNode(event, node) {
    const step = event.shiftKey ? 50 : 10;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      event.preventDefault();
      node.position.x = Math.max(0, Math.min(VIEW.width - NODE_WIDTH, node.position.x + moves[event.key][0]));
      node.position.y = Math.max(0, Math.min(VIEW.height - 60, node.position.y + moves[event.key][1]));
      markDirty();
      redraw(node.id);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      select(node.id);
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      removeNode(node.id);
    }
  }

  let gesture = null;
  svg.addEventListener('pointerdown', (event) => {
    const port = event.target.closest('[data-kind]');
    const group = event.target.closest('g[data-node]');
    if (port && port.dataset.kind === 'out') {
      const start = portPosition(port.dataset.node, port.dataset.port, 'out');
      gesture = { kind: 'connect', node: port.dataset.node, port: port.dataset.port };
      dragLine.setAttribute('x1', start.x); dragLine.setAttribute('y1', start.y);
      dragLine.setAttribute('x2', start.x); dragLine.setAttribute('y2', start.y);
      dragLine.setAttribute('visibility', 'visible');
    } else if (group && !port) {
      const node = doc.nodes.find((n) => n.id === group.dataset.node);
      const at = toCanvas(event);
      gesture = { kind: 'move', node, dx: at.x - node.position.x, dy: at.y - node.position.y, group, moved: false };
    } else {
      return;
    }
    event.preventDefault();
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener('pointermove', (event) => {
    if (!gesture) return;
    const at = toCanvas(event);
    if (gesture.kind === 'connect') {
      dragLine.setAttribute('x2', at.x); dragLine.setAttribute('y2', at.y);
    } else {
      gesture.node.position.x = Math.round(Math.max(0, Math.min(VIEW.width - NODE_WIDTH, at.x - gesture.dx)));
      gesture.node.position.y = Math.round(Math.max(0, Math.min(VIEW.height - 60, at.y - gesture.dy)));
      gesture.group.setAttribute('transform', `translate(${gesture.node.position.x} ${gesture.node.position.y})`);
      gesture.moved = true;
      drawEdges();
    }
  });
  function endGesture(event) {
    if (!gesture) return;
    const done = gesture;
    gesture = null;
    dragLine.setAttribute('visibility', 'hidden');
    if (svg.hasPointerCapture(event.pointerId)) svg.releasePointerCapture(event.pointerId);
    if (done.kind === 'connect') {
      const target = document.elementFromPoint(event.clientX, event.clientY);
      const port = target && target.closest ? target.closest('[data-kind="in"]') : null;
      if (port) connect(done.node, done.port, port.dataset.node, port.dataset.port);
    } else if (done.moved) {
      markDirty();
      redraw();
    } else {
      select(done.node.id);
    }
  }
  svg.addEventListener('pointerup', endGesture);
  svg.addEventListener('pointercancel', endGesture);

  function connect(fromNode, fromPort, toNode, toPort) {
    if (fromNode === toNode) { status.textContent = 'A node cannot feed itself.'; return; }
    const exists = doc.edges.some((e) => e.from.node === fromNode && e.from.port === fromPort && e.to.node === toNode && e.to.port === toPort);
    if (exists) return;
    doc.edges.push({ from: { node: fromNode, port: fromPort }, to: { node: toNode, port: toPort } });
    markDirty();
    status.textContent = `Connected ${fromNode}.${fromPort} to ${toNode}.${toPort}.`;
    redraw();
    if (selected) renderInspector();
  }

  function removeNode(id) {
    doc.nodes = doc.nodes.filter((n) => n.id !== id);
    doc.edges = doc.edges.filter((e) => e.from.node !== id && e.to.node !== id);
    if (selected === id) selected = null;
    markDirty();
    redraw();
    renderInspector();
  }

  function addNode(type) {
    const base = type.id.replace(/[^A-Za-z0-9_-]/g, '_');
    let n = 1;
    while (doc.nodes.some((node) => node.id === `${base}_${n}`)) n += 1;
    const count = doc.nodes.length;
    const node = {
      id: `${base}_${n}`, type: type.id, version: type.version, settings: {},
      position: { x: 30 + (count % 4) * 235, y: 40 + Math.floor(count / 4) * 170 + (count % 2) * 40 },
    };
    doc.nodes.push(node);
    markDirty();
    select(node.id);
    redraw(node.id);
  }

  function select(id) {
    selected = id;
    redraw();
    renderInspector();
  }

  // --------------------------------------------------------- settings
  async function credentialsOfKind(kind) {
    if (!credentialCache.has(kind)) {
      const page = await get(workspacePath(state.workspaceID, '/credentials'), { kind, limit: 100 }).catch(() => ({ items: [] }));
      credentialCache.set(kind, page.items);
    }
    return credentialCache.get(kind);
  }

  function settingControl(node, key, schema, required) {
    const current = node.settings[key];
    const set = (value) => {
      if (value === undefined || value === '') delete node.settings[key]; else node.settings[key] = value;
      markDirty();
      redraw();
    };
    const label = `${schema.title || key}${required ? ' (required)' : ''}`;
    const hint = schema.description;
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    let control;
    if (schema['x-credential-kind']) {
      control = h('select', { name: key, on: { change: () => set(control.value) } }, h('option', { value: '' }, '— none —'));
      credentialsOfKind(schema['x-credential-kind']).then((items) => {
        for (const item of items) control.append(h('option', { value: item.id, selected: item.id === current }, `${item.name} (${item.kind})`));
        if (current && !items.some((i) => i.id === current)) control.append(h('option', { value: current, selected: true }, `unknown credential ${current}`));
      });
      return field(label, control, hint);
    }
    if (types.includes('string') && Array.isArray(schema.enum)) {
      control = h('select', { name: key, on: { change: () => set(control.value) } },
        h('option', { value: '' }, schema.default !== undefined ? `default (${schema.default})` : '— none —'),
        schema.enum.map((v) => h('option', { value: v, selected: v === current }, v)));
      return field(label, control, hint);
    }
    if (types[0] === 'array' && schema.items && Array.isArray(schema.items.enum)) {
      const chosen = new Set(Array.isArray(current) ? current : []);
      const boxes = schema.items.enum.map((v) => {
        const box = h('input', { type: 'checkbox', value: v, checked: chosen.has(v), id: `${node.id}-${key}-${v}` });
        box.addEventListener('change', () => {
          if (box.checked) chosen.add(v); else chosen.delete(v);
          set(chosen.size ? schema.items.enum.filter((x) => chosen.has(x)) : undefined);
        });
        return h('span', { class: 'check' }, box, h('label', { for: box.id }, v));
      });
      return h('fieldset', {}, h('legend', {}, label), boxes, hint ? h('small', { class: 'hint' }, hint) : null);
    }
    if (types.length === 1 && (types[0] === 'integer' || types[0] === 'number')) {
      control = h('input', {
        type: 'number', name: key, min: schema.minimum, max: schema.maximum, step: types[0] === 'integer' ? '1' : 'any',
        value: current ?? '', placeholder: schema.default !== undefined ? String(schema.default) : '',
        on: { change: () => set(control.value === '' ? undefined : Number(control.value)) },
      });
      return field(label, control, hint);
    }
    if (types.length === 1 && types[0] === 'boolean') {
      control = h('input', { type: 'checkbox', name: key, checked: current === true, on: { change: () => set(control.checked) } });
      return field(label, control, hint);
    }
    if (types.length === 1 && (types[0] === 'array' || types[0] === 'object')) {
      control = h('textarea', { name: key, rows: '4', class: 'json', spellcheck: 'false' });
      control.value = current === undefined ? '' : JSON.stringify(current, null, 2);
      const wrapper = field(`${label} — JSON`, control, hint);
      control.addEventListener('change', () => {
        if (control.value.trim() === '') { set(undefined); return; }
        try {
          set(JSON.parse(control.value));
          control.removeAttribute('aria-invalid');
        } catch {
          control.setAttribute('aria-invalid', 'true');
          status.textContent = `${key}: not valid JSON.`;
        }
      });
      return wrapper;
    }
    const long = schema['x-format'] === 'template' || (schema.maxLength || 0) > 300;
    control = h(long ? 'textarea' : 'input', {
      name: key, maxlength: schema.maxLength, rows: long ? '4' : null, type: long ? null : 'text',
      on: { change: () => set(control.value === '' ? undefined : control.value) },
    });
    control.value = current === undefined ? '' : String(current);
    return field(label, control, hint);
  }

  function renderInspector() {
    clear(inspector);
    const node = doc.nodes.find((n) => n.id === selected);
    if (!node) {
      inspector.append(h('h2', {}, 'Node'), h('p', {}, 'Select a node on the canvas (click it, or Tab to it and press Enter).'));
      return;
    }
    const type = typeByID.get(node.type);
    inspector.append(h('h2', {}, `${type ? type.title : node.type}`), h('p', { class: 'node-meta' }, `id ${node.id} · ${node.type} v${node.version}`));
    const mine = problems.filter((p) => p.node === node.id);
    if (mine.length) {
      inspector.append(h('ul', { class: 'problems', id: 'node-problems' }, mine.map((p) => h('li', { class: p.severity }, `${p.severity}: ${p.detail}`))));
    }
    const schema = (type && type.settings_schema) || { properties: {} };
    const required = new Set(schema.required || []);
    const keys = Object.keys(schema.properties || {}).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
    const form = h('form', { class: 'settings', 'aria-label': 'Settings', on: { submit: (e) => e.preventDefault() } },
      keys.map((key) => settingControl(node, key, schema.properties[key], required.has(key))));
    inspector.append(h('h3', {}, 'Settings'), form);

    // Keyboard alternative to dragging between ports.
    const outputs = outputsOf(type, node);
    if (outputs.length) {
      const fromPort = h('select', { id: 'connect-from' }, outputs.map((p) => h('option', { value: p.name }, p.name)));
      const targets = [];
      for (const other of doc.nodes) {
        if (other.id === node.id) continue;
        for (const port of inputsOf(typeByID.get(other.type))) targets.push([`${other.id}\u0000${port.name}`, `${other.id} · ${port.name}`]);
      }
      const toPort = h('select', { id: 'connect-to' }, targets.map(([value, text]) => h('option', { value }, text)));
      inspector.append(h('h3', {}, 'Connect'), field('From output', fromPort), field('To input', toPort),
        h('button', {
          type: 'button', disabled: !targets.length,
          on: { click: () => { const [to, port] = toPort.value.split('\u0000'); connect(node.id, fromPort.value, to, port); } },
        }, 'Connect'));
    }
    const edges = doc.edges.map((edge, index) => ({ edge, index })).filter(({ edge }) => edge.from.node === node.id || edge.to.node === node.id);
    if (edges.length) {
      inspector.append(h('h3', {}, 'Connections'), h('ul', { class: 'edges-list' }, edges.map(({ edge }) => h('li', {},
        `${edge.from.node}.${edge.from.port} → ${edge.to.node}.${edge.to.port} `,
        h('button', {
          type: 'button', class: 'small',
          on: { click: () => { doc.edges = doc.edges.filter((e) => e !== edge); markDirty(); redraw(); renderInspector(); } },
        }, 'Remove')))));
    }
    inspector.append(h('button', { type: 'button', class: 'danger', on: { click: () => removeNode(node.id) } }, 'Delete node'));
  }

  // --------------------------------------------------------- problems
  function setProblems(list) {
    problems = list.map((p) => {
      const nodeMatch = /^\/document\/nodes\/(\d+)/.exec(p.pointer || '');
      const edgeMatch = /^\/document\/edges\/(\d+)/.exec(p.pointer || '');
      const node = nodeMatch ? doc.nodes[Number(nodeMatch[1])] : null;
      return { ...p, severity: p.severity || 'error', node: node ? node.id : null, edge: edgeMatch ? Number(edgeMatch[1]) : null };
    });
    replace(generalProblems, problems.filter((p) => !p.node).map((p) => h('li', { class: p.severity }, `${p.severity}: ${p.pointer || '(flow)'} — ${p.detail}`)));
    redraw();
    renderInspector();
  }

  function problemsOf(error) {
    return (error.fieldErrors || []).map((e) => ({ pointer: e.pointer, detail: e.detail, code: e.code, severity: 'error' }));
  }

  // ---------------------------------------------------------- actions
  function adopt(result) {
    flow = result.body;
    etag = result.etag || flow.etag;
    showInfo();
    refreshVersions();
  }

  async function save() {
    const body = { name: name.value.trim(), document: doc, comment: comment.value.trim() || null };
    if (flow && flow.description) body.description = flow.description;
    status.textContent = 'Saving…';
    try {
      const result = flow
        ? await call('PUT', workspacePath(state.workspaceID, `/flows/${encodeURIComponent(flow.id)}`), { body, etag })
        : await call('POST', workspacePath(state.workspaceID, '/flows'), { body });
      const created = !flow;
      adopt(result);
      dirty = false;
      comment.value = '';
      heading.textContent = `Flow: ${flow.name}`;
      setProblems(flow.warnings || []);
      status.textContent = `Saved version ${flow.latest_version}.`;
      if (created) window.history.replaceState(null, '', `#/flows/${encodeURIComponent(flow.id)}`);
      return true;
    } catch (error) {
      if (error.status === 412) status.textContent = 'Someone else saved this flow meanwhile: reload the page and re-apply your change.';
      else showError(status, error);
      if (error.status === 422) setProblems(problemsOf(error));
      return false;
    }
  }

  async function validate() {
    status.textContent = 'Validating…';
    try {
      const { body } = await call('POST', workspacePath(state.workspaceID, '/flows/validate'), { body: { document: doc, purpose: 'deploy' } });
      setProblems(body.problems);
      status.textContent = body.valid ? `Valid for deployment${body.problems.length ? ' (with warnings)' : ''}.` : `${body.problems.length} problem(s).`;
    } catch (error) {
      showError(status, error);
    }
  }

  async function deploy(version) {
    if (dirty || !flow) {
      if (!(await save())) return;
    }
    status.textContent = 'Deploying…';
    try {
      const result = await call('POST', workspacePath(state.workspaceID, `/flows/${encodeURIComponent(flow.id)}/deploy`),
        { body: { version: version || flow.latest_version }, etag });
      adopt(result);
      setProblems(flow.warnings || []);
      const hook = flow.webhook ? ` Webhook: ${flow.webhook.url || flow.webhook.path}` : '';
      status.textContent = `Deployed version ${flow.deployed_version}.${hook}`;
    } catch (error) {
      showError(status, error);
      if (error.status === 422) setProblems(problemsOf(error));
    }
  }

  async function undeploy() {
    if (!flow) return;
    try {
      adopt(await call('POST', workspacePath(state.workspaceID, `/flows/${encodeURIComponent(flow.id)}/undeploy`), { body: {}, etag }));
      status.textContent = 'Offline: no version is live.';
    } catch (error) {
      showError(status, error);
    }
  }

  async function refreshVersions() {
    clear(versions);
    if (!flow) return;
    const page = await get(workspacePath(state.workspaceID, `/flows/${encodeURIComponent(flow.id)}/versions`), { limit: 100 }).catch(() => ({ items: [] }));
    for (const version of page.items) {
      versions.append(h('option', { value: version.number },
        `v${version.number}${version.number === flow.deployed_version ? ' (live)' : ''}${version.comment ? ` — ${version.comment}` : ''}`));
    }
  }

  // ----------------------------------------------------------- layout
  const palette = h('aside', { class: 'palette', 'aria-label': 'Node types' }, h('h2', {}, 'Add a node'),
    ['trigger', 'processor', 'action'].map((category) => h('div', { class: 'palette-group' },
      h('h3', {}, category),
      types.filter((t) => t.category === category).map((t) => h('button', {
        type: 'button', class: 'palette-item', title: t.description, dataset: { type: t.id },
        on: { click: () => addNode(t) },
      }, t.title)))));
  name.addEventListener('input', markDirty);
  const toolbar = h('form', { class: 'toolbar editor-toolbar', on: { submit: (e) => { e.preventDefault(); save(); } } },
    field('Flow name', name), field('Version comment', comment),
    h('button', { type: 'submit', id: 'save-flow' }, 'Save'),
    h('button', { type: 'button', id: 'validate-flow', on: { click: validate } }, 'Validate'),
    h('button', { type: 'button', id: 'deploy-flow', on: { click: () => deploy() } }, 'Deploy latest'),
    field('Version', versions),
    h('button', { type: 'button', id: 'rollback-flow', on: { click: () => deploy(Number(versions.value)) } }, 'Deploy this version (rollback)'),
    h('button', { type: 'button', id: 'undeploy-flow', on: { click: undeploy } }, 'Undeploy'));
  main.append(h('div', { class: 'page-head' }, heading, h('a', { href: '#/flows' }, 'All flows')), toolbar, info, status, generalProblems,
    h('div', { class: 'editor' }, palette, h('div', { class: 'canvas-wrap' }, svg), inspector));
  showInfo();
  refreshVersions();
  redraw();
  renderInspector();
  if (isNew && !doc.nodes.length) status.textContent = 'Add a trigger from the list, then processors and actions; drag from an output port to an input port to connect.';
  // Unsaved changes: the browser asks before the tab is closed or reloaded.
  const guard = (event) => { if (dirty) event.preventDefault(); };
  window.addEventListener('beforeunload', guard);
  onLeave(() => window.removeEventListener('beforeunload', guard));
}
