// Time zones. Times travel as UTC seconds since the epoch (fractions kept).
// A zone is 'local' (the browser's), 'UTC' or an IANA name; Intl does the
// arithmetic, so every zone the browser knows works, daylight saving too.

const dtfCache = new Map();

function partsFormat(zone) {
  const key = zone || 'local';
  let f = dtfCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone === 'local' ? undefined : zone,
      hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    dtfCache.set(key, f);
  }
  return f;
}

export function validZone(zone) {
  if (zone === 'local' || zone === 'UTC')
    return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// The wall clock of an instant in a zone: {y, mo, d, h, mi, s, ms}.
export function wall(sec, zone) {
  const ms = Math.round(sec * 1000);
  const p = {};
  for (const x of partsFormat(zone).formatToParts(new Date(ms)))
    p[x.type] = x.value;
  return {
    y: +p.year, mo: +p.month, d: +p.day, h: +p.hour % 24, mi: +p.minute, s: +p.second,
    ms: ((ms % 1000) + 1000) % 1000,
  };
}

// How far the zone's wall clock is ahead of UTC at an instant, in seconds.
export function offsetAt(sec, zone) {
  if (zone === 'UTC')
    return 0;
  const w = wall(Math.floor(sec), zone);
  return (Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(sec) * 1000) / 1000;
}

// The instant at which the zone's wall clock reads the given time (the
// earlier one when the clock passes it twice).
export function fromWall(y, mo, d, h, mi, s, zone) {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
  let t = guess - offsetAt(guess, zone);
  t = guess - offsetAt(t, zone);
  return t;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

export function fmtDate(sec, zone) {
  const w = wall(sec, zone);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}`;
}

export function fmtTime(sec, zone, fraction = false) {
  const w = wall(sec, zone);
  const base = `${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}`;
  return fraction ? `${base}.${pad(w.ms, 3).slice(0, 1)}` : base;
}

export function fmtDateTime(sec, zone) {
  return `${fmtDate(sec, zone)} ${fmtTime(sec, zone)}`;
}

// "2026-01-02T03:04:05" for an <input type=datetime-local>, in a zone.
export function toInput(sec, zone) {
  const w = wall(sec, zone);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}`;
}

export function fromInput(text, zone) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?$/.exec(text || '');
  if (!m)
    return null;
  return fromWall(+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] || 0), zone);
}

export function zoneLabel(zone) {
  if (zone === 'local')
    return `local time (${Intl.DateTimeFormat().resolvedOptions().timeZone})`;
  return zone;
}

// Labels of the time axis ticks, in the display zone; `incr` is the step
// between ticks in seconds. The first tick and each new day carry the date.
export function tickLabels(splits, incr, zone) {
  let lastDay = '';
  return splits.map((t, i) => {
    if (t === null || t === undefined)
      return '';
    const day = fmtDate(t, zone);
    let text;
    if (incr >= 86400)
      text = day.slice(5);
    else if (incr >= 60)
      text = fmtTime(t, zone).slice(0, 5);
    else
      text = fmtTime(t, zone, incr < 1);
    if (incr < 86400 && (i === 0 || day !== lastDay))
      text += '\n' + day;
    lastDay = day;
    return text;
  });
}

// A list of the zones the browser knows, for the picker.
export function knownZones() {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata',
      'Asia/Tokyo', 'Australia/Sydney'];
  }
}
