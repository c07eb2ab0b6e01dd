// Search in the loaded lines of one log: every match counted, the ones near the current match highlighted
// (CSS Custom Highlights: the text nodes stay as they are, so Find and copy see the log unchanged).
import { grouped } from './format.js';

const KEPT_MATCHES = 200000;   // positions kept for next/previous; counts are always complete
const HIGHLIGHTED = 2000;      // matches highlighted at once, around the current one
const highlights = globalThis.CSS && CSS.highlights;

export class LogSearch {
  constructor(view, form) {
    this.view = view;
    this.form = form;
    this.input = form.querySelector('.q');
    this.regexBox = form.querySelector('.regex');
    this.onlyBox = form.querySelector('.only');
    this.countText = form.querySelector('.count');
    this.pattern = null;
    this.matches = [];   // [line index, from, to]
    this.total = 0;
    this.current = -1;
    this.hitLines = new Set();
    this.timer = null;
    this.name = `log-${view.stream}`;

    const later = () => { clearTimeout(this.timer); this.timer = setTimeout(() => this.start(), 200); };
    this.input.addEventListener('input', later);
    this.regexBox.addEventListener('change', () => this.start());
    this.onlyBox.addEventListener('change', () => this.applyFilter());
    form.querySelector('.next').addEventListener('click', () => this.step(1));
    form.querySelector('.prev').addEventListener('click', () => this.step(-1));
    form.addEventListener('submit', (event) => { event.preventDefault(); this.step(1); });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') { event.preventDefault(); clearTimeout(this.timer); if (this.pattern === null) this.start(); this.step(event.shiftKey ? -1 : 1); }
      if (event.key === 'Escape') this.input.blur();
    });
  }

  focus() {
    this.input.focus();
    this.input.select();
  }

  compile() {
    const query = this.input.value;
    this.input.removeAttribute('aria-invalid');
    if (!query) return null;
    try {
      return new RegExp(this.regexBox.checked ? query : query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    } catch (error) {
      this.input.setAttribute('aria-invalid', 'true');
      this.countText.textContent = `Not a valid regular expression: ${error.message}`;
      return undefined;
    }
  }

  start() {
    this.pattern = this.compile();
    this.clear();
    if (!this.pattern) {
      if (this.pattern === null) this.countText.textContent = '';
      this.pattern = null;
      this.applyFilter();
      return;
    }
    this.scan(0);
    this.current = this.matches.length ? 0 : -1;
    this.applyFilter();
    this.show(false);
  }

  clear() {
    for (const index of this.hitLines) this.view.lineEls[index]?.classList.remove('hit');
    this.hitLines.clear();
    this.matches = [];
    this.total = 0;
    this.current = -1;
    highlights?.delete(this.name);
    highlights?.delete(`${this.name}-current`);
  }

  scan(from) {
    const { lines, lineEls } = this.view;
    const pattern = this.pattern;
    for (let index = from; index < lines.length; index++) {
      const text = lines[index];
      pattern.lastIndex = 0;
      let found = false;
      for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
        if (match[0] === '') { pattern.lastIndex++; continue; }
        found = true;
        this.total++;
        if (this.matches.length < KEPT_MATCHES) this.matches.push([index, match.index, match.index + match[0].length]);
      }
      if (found) { this.hitLines.add(index); lineEls[index].classList.add('hit'); }
    }
  }

  // New lines were added from `from` on: they are searched too, and the counts stay honest.
  linesAdded(from) {
    if (!this.pattern) return;
    this.scan(from);
    if (this.current < 0 && this.matches.length) this.current = 0;
    this.scheduleShow();
  }

  // Lines from `length` on went away (an unfinished line about to be built again).
  linesRemoved(length) {
    if (!this.pattern) return;
    while (this.matches.length && this.matches[this.matches.length - 1][0] >= length) { this.matches.pop(); this.total--; }
    this.hitLines.delete(length);
    if (this.current >= this.matches.length) this.current = this.matches.length - 1;
  }

  rerun() {
    if (!this.pattern) return;
    const keep = this.current;
    this.clear();
    this.scan(0);
    this.current = Math.min(Math.max(keep, 0), this.matches.length - 1);
    this.scheduleShow();
  }

  scheduleShow() {
    if (this.showPending) return;
    this.showPending = true;
    requestAnimationFrame(() => { this.showPending = false; this.show(false); });
  }

  step(direction) {
    if (!this.matches.length) return;
    this.current = (this.current + direction + this.matches.length) % this.matches.length;
    this.show(true);
  }

  applyFilter() {
    this.view.box.classList.toggle('filtered', Boolean(this.onlyBox.checked && this.pattern));
  }

  show(scroll) {
    if (!this.pattern) return;
    const where = this.current >= 0 ? `match ${grouped(this.current + 1)} of ` : '';
    this.countText.textContent = `${where}${grouped(this.total)} match${this.total === 1 ? '' : 'es'} in ${this.view.describeLoaded()}`;
    this.panelCount();
    if (!highlights) return;
    const from = Math.max(0, this.current - HIGHLIGHTED / 2);
    const ranges = [];
    for (const [index, start, end] of this.matches.slice(from, from + HIGHLIGHTED)) {
      const range = rangeIn(this.view.lineEls[index], start, end);
      if (range) ranges.push(range);
    }
    highlights.set(this.name, new Highlight(...ranges));
    const current = this.matches[this.current];
    const currentRange = current && rangeIn(this.view.lineEls[current[0]], current[1], current[2]);
    if (currentRange) highlights.set(`${this.name}-current`, new Highlight(currentRange));
    if (scroll && current) {
      this.view.pinned = false;
      this.view.updateFollowButton();
      this.view.lineEls[current[0]].scrollIntoView({ block: 'center' });
    }
  }

  panelCount() {
    this.form.dataset.total = String(this.total);
  }
}

// A range over characters `start` to `end` of a line's text, across its styled spans.
function rangeIn(line, start, end) {
  if (!line) return null;
  const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let position = 0;
  let started = false;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const length = node.data.length;
    if (!started && start <= position + length) { range.setStart(node, start - position); started = true; }
    if (started && end <= position + length) { range.setEnd(node, end - position); return range; }
    position += length;
  }
  return null;
}
