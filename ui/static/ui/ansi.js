// Terminal output as the reader saw it: SGR colours become styled runs of text, every other escape sequence
// (cursor moves, titles, hyperlinks' wrappers) is removed, and a carriage return rewrites its line.

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-byte escapes; also the 8-bit CSI.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]|\x1b[ -/][@-~]/g;
const SGR = /^(?:\x1b\[|\x9b)([0-9;:]*)m$/;
// Other control characters a terminal would not print (tab, newline and CR are handled apart).
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

export function hasEscapes(text) {
  return text.indexOf('\x1b') >= 0 || text.indexOf('\x9b') >= 0;
}

// A carriage return moves back to the line's start: what follows overwrites what was there.
export function applyCarriageReturns(line) {
  if (line.indexOf('\r') < 0) return line;
  let shown = '';
  for (const part of line.replace(/\r+$/, '').split('\r')) {
    if (!part) continue;
    // Overwrite what was there; with escapes in play, character positions are unknowable: the new text wins.
    shown = hasEscapes(shown) || hasEscapes(part) ? part : part + shown.slice(part.length);
  }
  return shown;
}

export function plainText(line) {
  return (hasEscapes(line) ? line.replace(ESCAPES, '') : line).replace(CONTROLS, '');
}

// The style in force between lines: colours carry on until reset, as in a terminal.
export class AnsiState {
  constructor() { this.reset(); }

  reset() {
    this.fg = null; this.bg = null; this.bold = false; this.dim = false; this.italic = false;
    this.underline = false; this.inverse = false; this.strike = false;
  }

  get plain() {
    return !this.fg && !this.bg && !this.bold && !this.dim && !this.italic && !this.underline && !this.inverse && !this.strike;
  }

  apply(params) {
    const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code === 0) this.reset();
      else if (code === 1) this.bold = true;
      else if (code === 2) this.dim = true;
      else if (code === 3) this.italic = true;
      else if (code === 4) this.underline = true;
      else if (code === 7) this.inverse = true;
      else if (code === 9) this.strike = true;
      else if (code === 22) { this.bold = false; this.dim = false; }
      else if (code === 23) this.italic = false;
      else if (code === 24) this.underline = false;
      else if (code === 27) this.inverse = false;
      else if (code === 29) this.strike = false;
      else if (code >= 30 && code <= 37) this.fg = { index: code - 30 };
      else if (code >= 90 && code <= 97) this.fg = { index: code - 90 + 8 };
      else if (code === 39) this.fg = null;
      else if (code >= 40 && code <= 47) this.bg = { index: code - 40 };
      else if (code >= 100 && code <= 107) this.bg = { index: code - 100 + 8 };
      else if (code === 49) this.bg = null;
      else if (code === 38 || code === 48) {
        let colour = null;
        if (codes[i + 1] === 5 && i + 2 < codes.length) { colour = xterm256(codes[i + 2]); i += 2; }
        else if (codes[i + 1] === 2 && i + 4 < codes.length) {
          colour = { rgb: codes.slice(i + 2, i + 5).map((c) => Math.max(0, Math.min(255, c))) };
          i += 4;
        }
        if (code === 38) this.fg = colour; else this.bg = colour;
      }
    }
  }

  // Applies the style to a span: the 16 colours by class (themed), the rest by value.
  style(span) {
    const classes = [];
    const [fg, bg] = this.inverse ? [this.bg || { index: 'default-bg' }, this.fg || { index: 'default-fg' }] : [this.fg, this.bg];
    if (fg) { if (fg.rgb) span.style.color = rgb(fg.rgb); else classes.push(`ansi-fg-${fg.index}`); }
    if (bg) { if (bg.rgb) span.style.backgroundColor = rgb(bg.rgb); else classes.push(`ansi-bg-${bg.index}`); }
    if (this.bold) classes.push('ansi-bold');
    if (this.dim) classes.push('ansi-dim');
    if (this.italic) classes.push('ansi-italic');
    if (this.underline) classes.push('ansi-underline');
    if (this.strike) classes.push('ansi-strike');
    if (classes.length) span.className = classes.join(' ');
  }
}

function rgb([r, g, b]) {
  return `rgb(${r}, ${g}, ${b})`;
}

function xterm256(n) {
  if (!(n >= 0 && n <= 255)) return null;
  if (n < 16) return { index: n };
  if (n >= 232) { const v = 8 + (n - 232) * 10; return { rgb: [v, v, v] }; }
  const c = n - 16;
  const level = (v) => (v === 0 ? 0 : 55 + v * 40);
  return { rgb: [level(Math.floor(c / 36)), level(Math.floor(c / 6) % 6), level(c % 6)] };
}

// Fills `target` with the line's text as text nodes and styled spans; returns the plain text shown.
export function renderLine(line, state, target) {
  if (!hasEscapes(line) && state.plain) {
    const text = line.replace(CONTROLS, '');
    target.textContent = text;
    return text;
  }
  let plain = '';
  let last = 0;
  const push = (text) => {
    const clean = text.replace(CONTROLS, '');
    if (!clean) return;
    plain += clean;
    if (state.plain) { target.append(clean); return; }
    const span = document.createElement('span');
    state.style(span);
    span.textContent = clean;
    target.append(span);
  };
  ESCAPES.lastIndex = 0;
  for (let match = ESCAPES.exec(line); match; match = ESCAPES.exec(line)) {
    push(line.slice(last, match.index));
    last = match.index + match[0].length;
    const sgr = SGR.exec(match[0]);
    if (sgr) state.apply(sgr[1]);
  }
  push(line.slice(last));
  return plain;
}
