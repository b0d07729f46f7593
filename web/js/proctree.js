// The process tree of the live machine: a PID, or a search by name or
// command line; a text view (thread counts, memory) and a graph view
// (cytoscape, loaded from the page's own assets).
import { $, el, clear, say, fmtBytes } from './dom.js';
import { api } from './api.js';

const GRAPH_MAX = 400; // nodes drawn in the graph view

export class ProcView {
  constructor({ onChart, onError }) {
    this.onChart = onChart;
    this.onError = onError;
    this.tree = null;
    this.cy = null;
    this.mode = 'text';
    $('proc-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.inspect($('proc-pid').value);
    });
    $('proc-find-go').addEventListener('click', () => this.find($('proc-find').value));
    $('proc-find').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.find($('proc-find').value);
      }
    });
    for (const r of document.querySelectorAll('input[name="proc-view"]'))
      r.addEventListener('change', () => this.setMode(r.value));
  }

  shown() {
    if (!this.tree && !$('proc-pid').value)
      this.inspect(1);
    else if (this.mode === 'graph' && this.cy)
      this.cy.resize();
  }

  async find(q) {
    q = (q || '').trim();
    const list = $('proc-matches');
    clear(list);
    if (!q)
      return;
    let r;
    try {
      r = await api.pids(q);
    } catch (e) {
      list.append(el('li', { class: 'hint' }, e.message));
      return;
    }
    if (!r.matches.length)
      list.append(el('li', { class: 'hint' }, `No process matches "${q}".`));
    for (const m of r.matches) {
      const text = `${m.pid}  ${m.name}  ${fmtBytes(m.rss_bytes)}  ${m.threads ?? '?'} thread${m.threads === 1 ? '' : 's'}` +
        (m.cmdline ? `  —  ${m.cmdline}` : '');
      list.append(el('li', {}, el('button', { type: 'button', title: m.cmdline || m.name,
        dataset: { pid: m.pid },
        onclick: () => {
          $('proc-pid').value = m.pid;
          clear(list);
          list.append(el('li', { class: 'hint' }, `Showing ${m.pid} ${m.name}.`));
          this.inspect(m.pid);
        } }, text)));
    }
    if (r.truncated)
      list.append(el('li', { class: 'hint' }, 'More match; type more of the name.'));
  }

  async inspect(pid) {
    const n = Number(pid);
    const summary = $('proc-summary');
    if (!Number.isInteger(n) || n < 1) {
      say(summary, 'A PID is a whole number from 1.', 'error');
      return;
    }
    $('proc-pid').value = n;
    // Only the last PID asked for is shown, whichever answer comes last.
    const ask = (this.asked = (this.asked || 0) + 1);
    let tree;
    try {
      tree = await api.proctree(n);
      if (ask !== this.asked)
        return;
      this.tree = tree;
    } catch (e) {
      if (ask !== this.asked)
        return;
      this.tree = null;
      clear($('proc-text'));
      say(summary, e.status === 404 ? `No process ${n}.` : e.message, 'error');
      if (this.cy)
        this.cy.elements().remove();
      return;
    }
    const root = this.tree.processes.find((p) => p.pid === n) || this.tree.processes[0];
    say(summary, `${this.tree.count ?? this.tree.processes.length} processes, ` +
      `${root ? root.subtree_threads ?? '?' : '?'} threads, ` +
      `${fmtBytes(root ? root.subtree_rss_bytes : null)} resident in the tree of ${n}.`);
    this.renderText(n);
    if (this.mode === 'graph')
      this.renderGraph(n);
  }

  // One line per process: tree branches, pid, name, threads, memory, CPU.
  renderText(rootPid) {
    const pre = $('proc-text');
    clear(pre);
    const byPid = new Map(this.tree.processes.map((p) => [p.pid, p]));
    const lines = [];
    const walk = (p, prefix, last, top) => {
      const branch = top ? '' : `${prefix}${last ? '└─ ' : '├─ '}`;
      const cpu = p.cpu_percent === null || p.cpu_percent === undefined ? '–'
        : `${p.cpu_percent.toFixed(1)}%`;
      lines.push({ pid: p.pid, text: `${branch}${p.pid} ${p.name}  [${p.threads ?? '?'} thr, ` +
        `${fmtBytes(p.rss_bytes)}, ${cpu}]` + (p.children && p.children.length
        ? `  (${p.subtree_processes} procs, ${p.subtree_threads} thr, ${fmtBytes(p.subtree_rss_bytes)})`
        : '') });
      const kids = (p.children || []).map((c) => byPid.get(c)).filter(Boolean);
      const next = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
      kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false));
    };
    const root = byPid.get(rootPid) || this.tree.processes[0];
    if (root)
      walk(root, '', true, true);
    for (const l of lines) {
      const p = byPid.get(l.pid);
      const row = el('span', { class: 'proc-line', dataset: { pid: l.pid }, tabindex: 0,
        role: 'button', title: p.cmdline || p.name }, l.text);
      row.addEventListener('click', () => this.showNode(p));
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.showNode(p);
        }
      });
      pre.append(row, '\n');
    }
  }

  // What one process is, under the tree, with a button to chart it.
  showNode(p) {
    const info = $('proc-node');
    clear(info);
    info.append(`${p.pid} ${p.name}: ${p.threads ?? '?'} threads, ${fmtBytes(p.rss_bytes)} resident, ` +
      `user ${p.user ?? '?'}, state ${p.state ?? '?'}. ${p.cmdline || ''} `,
    el('button', { type: 'button', onclick: () => this.onChart(p.pid) }, 'Chart this process'));
  }

  setMode(mode) {
    this.mode = mode;
    $('proc-text').hidden = mode !== 'text';
    $('proc-graph').hidden = mode !== 'graph';
    if (mode === 'graph' && this.tree)
      this.renderGraph(Number($('proc-pid').value));
  }

  style() {
    const css = getComputedStyle(document.documentElement);
    const v = (n) => css.getPropertyValue(n).trim();
    return [
      { selector: 'node', style: {
        'background-color': v('--accent'), label: 'data(label)', color: v('--text'),
        'font-size': 10, 'text-valign': 'bottom', 'text-margin-y': 3, width: 14, height: 14,
        'text-wrap': 'wrap', 'text-max-width': 110 } },
      { selector: 'node.root', style: { 'background-color': v('--marker'), width: 20, height: 20 } },
      { selector: 'node:selected', style: { 'border-width': 3, 'border-color': v('--danger') } },
      { selector: 'edge', style: { width: 1.2, 'line-color': v('--border'),
        'target-arrow-color': v('--border'), 'target-arrow-shape': 'triangle',
        'curve-style': 'bezier' } },
    ];
  }

  restyle() {
    if (this.cy)
      this.cy.style(this.style());
  }

  // cytoscape is big and only the graph view needs it: its script is added
  // to the page the first time the graph is drawn.
  async renderGraph(rootPid) {
    try {
      await loadCytoscape();
    } catch {
      this.onError('The graph view needs cytoscape.min.js in the web assets.');
      return;
    }
    if (!this.tree || this.mode !== 'graph')
      return;
    const procs = this.tree.processes.slice(0, GRAPH_MAX);
    const have = new Set(procs.map((p) => p.pid));
    const elements = [];
    for (const p of procs) {
      elements.push({ data: { id: String(p.pid), label: `${p.name}\n${p.pid}` },
        classes: p.pid === rootPid ? 'root' : '' });
      if (have.has(p.ppid) && p.pid !== rootPid)
        elements.push({ data: { id: `e${p.pid}`, source: String(p.ppid), target: String(p.pid) } });
    }
    if (this.cy)
      this.cy.destroy();
    this.cy = window.cytoscape({
      container: $('proc-graph'),
      elements,
      style: this.style(),
      layout: { name: 'breadthfirst', directed: true, roots: [String(rootPid)], spacingFactor: 1.1,
        animate: false },
      wheelSensitivity: 0.3,
      maxZoom: 1.6,
      minZoom: 0.05,
    });
    const byPid = new Map(procs.map((p) => [String(p.pid), p]));
    this.cy.on('tap', 'node', (e) => {
      const p = byPid.get(e.target.id());
      if (p)
        this.showNode(p);
    });
    $('proc-graph').dataset.nodes = String(this.cy.nodes().length);
  }
}

let cytoscapeLoading = null;

function loadCytoscape() {
  if (window.cytoscape)
    return Promise.resolve();
  if (!cytoscapeLoading)
    cytoscapeLoading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = 'cytoscape.min.js';
      s.onload = () => (window.cytoscape ? resolve() : reject(new Error('no cytoscape')));
      s.onerror = () => {
        cytoscapeLoading = null;
        reject(new Error('cytoscape.min.js could not be loaded'));
      };
      document.head.append(s);
    });
  return cytoscapeLoading;
}
