// Small DOM helpers. Text from data only ever reaches the page through
// textContent or attributes set one by one, never through HTML parsing.

export const $ = (id) => document.getElementById(id);

// el('td', {class: 'num', title: t}, 'text', child...): a new element.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false)
      continue;
    if (k === 'class')
      e.className = v;
    else if (k === 'dataset')
      Object.assign(e.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function')
      e.addEventListener(k.slice(2), v);
    else
      e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null)
      continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clear(e) {
  while (e.firstChild)
    e.removeChild(e.firstChild);
}

// A status line: text and whether it tells of a failure.
export function say(e, text, kind = '') {
  e.textContent = text;
  e.classList.toggle('error', kind === 'error');
  e.classList.toggle('ok', kind === 'ok');
}

const PREFIX = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

// 1536 -> "1.5 KiB"
export function fmtBytes(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v))
    return '–';
  let i = 0;
  let a = Math.abs(v);
  while (a >= 1024 && i < BIN.length - 1) {
    a /= 1024;
    i++;
  }
  return `${v < 0 ? '-' : ''}${i && !Number.isInteger(a) ? a.toFixed(digits) : a.toFixed(0)} ${BIN[i]}`;
}

// 12500 -> "12.5 k"
export function fmtSI(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v))
    return '–';
  let i = 0;
  let a = Math.abs(v);
  while (a >= 1000 && i < PREFIX.length - 1) {
    a /= 1000;
    i++;
  }
  const s = a >= 100 || Number.isInteger(a) ? a.toFixed(0) : a.toFixed(digits);
  return `${v < 0 ? '-' : ''}${s}${PREFIX[i] ? ' ' + PREFIX[i] : ''}`;
}

export function fmtUnit(v, unit) {
  if (v === null || v === undefined || !Number.isFinite(v))
    return '–';
  switch (unit) {
  case 'bytes':
    return fmtBytes(v);
  case 'bytes/s':
    return fmtBytes(v) + '/s';
  case '%':
    return (Number.isInteger(v) || v >= 10 ? v.toFixed(0) : v.toFixed(1)) + ' %';
  case '/s':
    return fmtSI(v) + '/s';
  case '°C':
    return v.toFixed(0) + ' °C';
  case 'W':
    return v.toFixed(0) + ' W';
  default:
    return fmtSI(v);
  }
}
