// One log stream in the page: the tail first, then every new byte once by offset reads until the execution is
// finished; earlier bytes on demand. Lines are real DOM text (the browser's Find sees them all), laid out in
// chunks that the browser skips rendering while off screen (content-visibility), so 200,000 lines stay smooth.
import { AnsiState, applyCarriageReturns, renderLine } from './ansi.js';
import { apiFetch, describeFailure, errorBody, savedToken, sleep } from './api.js';
import { formatBytes, grouped } from './format.js';
import { LogSearch } from './search.js';

const TAIL_LINES = 1000;
const CHUNK_LINES = 500;
const EARLIER_BYTES = 256 * 1024;
// Lines are built in slices this big between yields to the browser, so no task holds the page for long.
const BUILD_SLICE = 2000;
const MAX_BACKOFF_MS = 5000;
const WRAP_KEY = 'scale-ui-log-wrap';

export class LogView {
  constructor(panel, { executionId, stream, pollMs, maxLines, onLineLink }) {
    this.panel = panel;
    this.stream = stream;
    this.url = `/job-executions/${executionId}/logs/${stream}/`;
    this.pollMs = pollMs;
    this.maxLines = maxLines;
    this.onLineLink = onLineLink;
    this.box = panel.querySelector('.log');
    this.statusLine = panel.querySelector('.log-status');
    this.banner = panel.querySelector('.banner');
    this.earlierButton = panel.querySelector('.earlier');
    this.newLinesButton = panel.querySelector('.new-lines');
    this.followButton = panel.querySelector('.follow');
    this.wrapButton = panel.querySelector('.wrap');

    this.start = 0;            // byte offset of the first loaded byte
    this.end = 0;              // byte offset to read next
    this.finished = false;
    this.numbered = false;     // true once the first loaded line is the stream's first line
    this.firstNumber = 1;      // the number shown on the first loaded line
    this.lines = [];           // plain text of each loaded line, for search
    this.lineEls = [];         // the element of each loaded line
    this.chunks = [];
    this.partial = null;       // {raw, state} of the last line while it has no newline yet
    this.ansi = new AnsiState();
    this.decoder = new TextDecoder('utf-8');
    this.droppedLines = 0;
    this.pinned = true;
    this.unseen = 0;
    this.building = Promise.resolve();
    this.search = new LogSearch(this, panel.querySelector('.search'));
    // A chunk changes height when it is laid out for real (content-visibility) or gains lines off screen, and the
    // box when the window does, frames after a scroll and with no scroll event: a pinned reader goes back to the end.
    this.resizes = new ResizeObserver(() => { if (this.pinned) this.scrollToEnd(); });
    this.resizes.observe(this.box);

    this.setWrap(localStorage.getItem(WRAP_KEY) === '1');
    this.box.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.box.addEventListener('click', (event) => this.onClick(event));
    this.followButton.addEventListener('click', () => this.toggleFollow());
    this.wrapButton.addEventListener('click', () => this.setWrap(!this.box.classList.contains('wrap'), true));
    this.newLinesButton.addEventListener('click', () => this.toBottom());
    this.earlierButton.addEventListener('click', () => this.loadEarlier());
    panel.querySelector('.download').addEventListener('click', (event) => this.download(event));
  }

  // Opens on the tail, or from the start down to a linked line, then follows.
  async open(targetLine = null) {
    this.status('Loading…');
    if (targetLine) await this.loadDownTo(targetLine);
    else await this.loadTail();
    await this.building;
    if (targetLine) this.showLine(targetLine);
    else this.scrollToEnd();
    this.follow();
  }

  async loadTail() {
    const response = await this.read(`tail=${TAIL_LINES}`);
    if (!response) return;
    if (response.status === 204) {
      this.finished = true;
      this.numbered = true;
      return;
    }
    this.start = Number(response.headers.get('X-Log-Start') || 0);
    this.end = this.start;
    this.numbered = this.start === 0;
    await this.take(response);
  }

  async loadDownTo(line) {
    this.numbered = true;
    while (!this.finished && this.lines.length < line) {
      const response = await this.read(`offset=${this.end}`);
      if (!response || response.status === 204) { this.finished = true; break; }
      const before = this.end;
      await this.take(response);
      if (this.end === before) break;  // nothing more yet
    }
  }

  // One answer, retried until it comes (network drops, restarts, 5xx, throttling): null only if it never will.
  async read(params) {
    let backoff = this.pollMs;
    for (;;) {
      let response;
      try {
        response = await apiFetch(`${this.url}?${params}`);
        if (response.ok) {
          response.bytes = await response.arrayBuffer();  // a body cut by a network drop throws here
          return response;
        }
      } catch {
        this.status('The service cannot be reached; retrying…', 'warning');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      if (response.status === 404) {
        this.status(describeFailure(response, await errorBody(response)), 'error');
        this.finished = true;
        return null;
      }
      const retryAfter = Number(response.headers.get('Retry-After'));
      this.status(`${describeFailure(response, await errorBody(response))}; retrying…`, 'warning');
      await sleep(retryAfter ? retryAfter * 1000 : backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  // Adds an answer's bytes; X-Log-Offset says where the next read starts.
  async take(response) {
    const text = this.decoder.decode(response.bytes, { stream: true });
    this.end = Number(response.headers.get('X-Log-Offset'));
    if (response.headers.get('X-More-Data') !== 'true') this.finished = true;
    const warning = response.headers.get('X-Log-Warning');
    if (warning) this.status(`The running task's log cannot be read from its agent right now (${warning}); retrying…`, 'warning');
    else this.status(this.finished ? 'The execution has finished: this is the whole log.' : 'Following: new lines appear as they are written.');
    if (text) await this.append(text);
  }

  async follow() {
    this.followButton.disabled = false;
    while (!this.finished) {
      const response = await this.read(`offset=${this.end}`);
      if (!response || response.status === 204) { this.finished = true; break; }
      await this.take(response);
      // A full answer means more is waiting: read on at once. Otherwise wait for the task to write.
      if (response.bytes.byteLength < 64 * 1024 && !this.finished) await sleep(this.pollMs);
    }
    this.status(this.lines.length || this.partial ? 'The execution has finished: this is the whole log.' : 'This log is empty.');
    this.panel.dataset.done = 'true';
  }

  // Text after what is shown: the unfinished last line is completed, new lines are built in slices.
  append(text) {
    this.building = this.building.then(() => this.build(text));
    return this.building;
  }

  async build(text) {
    const before = this.lines.length;
    const droppedBefore = this.droppedLines;
    let pieces = text.split('\n');
    if (this.partial) {
      pieces[0] = this.partial.raw + pieces[0];
      this.ansi = this.partial.state;
      this.removeLastLine();
    }
    const last = pieces.pop();
    let added = 0;
    for (let from = 0; from < pieces.length; from += BUILD_SLICE) {
      added += this.addLines(pieces.slice(from, from + BUILD_SLICE));
      if (from + BUILD_SLICE < pieces.length) await yieldToBrowser();
    }
    pieces = null;
    this.partial = null;
    if (last) {
      const state = Object.assign(new AnsiState(), this.ansi);
      this.addLines([last]);
      this.partial = { raw: last, state };
      added += 1;
    }
    this.capLines();
    this.afterAppend(added ? this.lines.length + this.droppedLines - before - droppedBefore : 0);
  }

  addLines(raws) {
    let chunk = this.chunks[this.chunks.length - 1];
    for (const raw of raws) {
      if (!chunk || chunk.childElementCount >= CHUNK_LINES) chunk = this.newChunk();
      const line = document.createElement('div');
      line.className = 'line';
      this.lines.push(renderLine(applyCarriageReturns(raw), this.ansi, line));
      this.lineEls.push(line);
      chunk.append(line);
    }
    this.search.linesAdded(this.lines.length - raws.length);
    return raws.length;
  }

  newChunk() {
    const chunk = document.createElement('div');
    chunk.className = 'chunk';
    chunk.style.setProperty('--base', String(this.firstNumber - 1 + this.lines.length));
    this.box.append(chunk);
    this.chunks.push(chunk);
    this.resizes.observe(chunk);
    return chunk;
  }

  removeLastLine() {
    const line = this.lineEls.pop();
    this.lines.pop();
    const chunk = line.parentNode;
    line.remove();
    if (!chunk.firstChild) { this.resizes.unobserve(chunk); chunk.remove(); this.chunks.pop(); }
    this.search.linesRemoved(this.lines.length);
  }

  // Past the cap, the oldest chunks leave the page; the download still has them.
  capLines() {
    let dropped = 0;
    while (this.lines.length - dropped > this.maxLines && this.chunks.length > 1) {
      const chunk = this.chunks.shift();
      dropped += chunk.childElementCount;
      this.resizes.unobserve(chunk);
      chunk.remove();
    }
    if (!dropped) return;
    this.lines.splice(0, dropped);
    this.lineEls.splice(0, dropped);
    this.droppedLines += dropped;
    this.firstNumber += dropped;
    this.search.rerun();
    this.earlierButton.hidden = true;
    this.banner.hidden = false;
    this.banner.replaceChildren(
      `To stay responsive the page keeps the last ${grouped(this.maxLines)} lines: `
      + `${grouped(this.droppedLines)} earlier lines were let go. `,
    );
    const link = document.createElement('a');
    link.href = this.panel.querySelector('.download').href;
    link.textContent = 'Download the whole log';
    link.addEventListener('click', (event) => this.download(event));
    this.banner.append(link, '.');
  }

  afterAppend(added) {
    this.earlierButton.hidden = this.start === 0 || this.droppedLines > 0;
    this.panel.dataset.lines = String(this.lines.length);
    this.panel.dataset.end = String(this.end);
    if (!added) return;
    if (this.pinned) this.scrollToEnd();
    else {
      this.unseen += added;
      this.newLinesButton.hidden = false;
      this.newLinesButton.textContent = `${grouped(this.unseen)} new line${this.unseen === 1 ? '' : 's'} ↓`;
    }
  }

  // "Load earlier": the bytes before the first loaded one, from a line's start, put in front.
  async loadEarlier() {
    if (this.start === 0) return;
    this.earlierButton.disabled = true;
    const from = Math.max(0, this.start - EARLIER_BYTES);
    const bytes = await this.readRange(from, this.start);
    this.earlierButton.disabled = false;
    if (!bytes) return;
    let text = new TextDecoder('utf-8').decode(bytes);
    let begins = from;
    if (from > 0) {
      // The read may begin inside a line (or a character): keep what follows the first newline.
      const cut = text.indexOf('\n');
      if (cut >= 0 && cut < text.length - 1) {
        begins = this.start - utf8Length(text.slice(cut + 1));
        text = text.slice(cut + 1);
      }
    }
    const scrollFromBottom = this.box.scrollHeight - this.box.scrollTop;
    const pieces = text.split('\n');
    if (pieces[pieces.length - 1] === '') pieces.pop();
    this.prependLines(pieces);
    this.start = begins;
    if (this.start === 0) { this.numbered = true; this.status('The log is loaded from its start.'); }
    this.earlierButton.hidden = this.start === 0;
    this.box.scrollTop = this.box.scrollHeight - scrollFromBottom;  // the reader's lines stay where they were
    this.search.rerun();
  }

  // The bytes from `from` up to `to`, in as many reads as the service's answer size takes; null if cut short.
  async readRange(from, to) {
    const parts = [];
    for (let offset = from; offset < to;) {
      const response = await this.read(`offset=${offset}&limit=${to - offset}`);
      if (!response || response.status === 204 || !response.bytes.byteLength) return null;
      parts.push(response.bytes);
      offset = Number(response.headers.get('X-Log-Offset'));
    }
    return new Blob(parts).arrayBuffer();
  }

  prependLines(raws) {
    const state = new AnsiState();
    const chunks = [];
    const lines = [];
    const els = [];
    for (let from = 0; from < raws.length; from += CHUNK_LINES) {
      const chunk = document.createElement('div');
      chunk.className = 'chunk';
      for (const raw of raws.slice(from, from + CHUNK_LINES)) {
        const line = document.createElement('div');
        line.className = 'line';
        lines.push(renderLine(applyCarriageReturns(raw), state, line));
        els.push(line);
        chunk.append(line);
      }
      chunks.push(chunk);
      this.resizes.observe(chunk);
    }
    this.box.prepend(...chunks);
    this.chunks.unshift(...chunks);
    this.lines.unshift(...lines);
    this.lineEls.unshift(...els);
    this.firstNumber = Math.max(1, this.firstNumber - raws.length);
    if (this.numbered || this.start === 0) this.firstNumber = 1;
    this.renumber();
  }

  renumber() {
    let base = this.firstNumber - 1;
    for (const chunk of this.chunks) {
      chunk.style.setProperty('--base', String(base));
      base += chunk.childElementCount;
    }
  }

  // The line numbered `n` (1-based as shown), or null when it is not loaded.
  lineElement(n) {
    return this.lineEls[n - this.firstNumber] || null;
  }

  keepInView() {
    const target = this.box.querySelector('.line.target');
    if (target) target.scrollIntoView({ block: 'center' });
    else if (this.pinned) this.scrollToEnd();
  }

  showLine(n) {
    const line = this.lineElement(n);
    if (!line) {
      this.status(`Line ${grouped(n)} is not in this log.`, 'warning');
      return;
    }
    for (const old of this.box.querySelectorAll('.line.target')) old.classList.remove('target');
    line.classList.add('target');
    this.pinned = false;
    this.updateFollowButton();
    line.scrollIntoView({ block: 'center' });
  }

  // A click on a line's number links to it: #stdout-L120.
  onClick(event) {
    const line = event.target.closest('.line');
    if (!line || event.clientX - line.getBoundingClientRect().left > gutterWidth(line)) return;
    if (!this.numbered) {
      this.status('Line numbers count from the first loaded line: load earlier up to the start to link to a line.', 'warning');
      return;
    }
    const n = this.firstNumber + this.lineEls.indexOf(line);
    this.onLineLink(this.stream, n);
    this.showLine(n);
  }

  onScroll() {
    const atBottom = this.box.scrollTop + this.box.clientHeight >= this.box.scrollHeight - 4;
    // Chunks laid out at their real height change the log's height under a pinned reader: that scroll is the
    // layout's, not the reader's, so stay at the end instead of unpinning.
    if (!atBottom && this.pinned && this.box.scrollHeight !== this.endHeight) {
      this.scrollToEnd();
      return;
    }
    if (atBottom !== this.pinned) {
      this.pinned = atBottom;
      this.updateFollowButton();
    }
    if (atBottom) {
      this.unseen = 0;
      this.newLinesButton.hidden = true;
    }
  }

  updateFollowButton() {
    this.followButton.setAttribute('aria-pressed', String(this.pinned));
  }

  scrollToEnd() {
    this.box.scrollTop = this.box.scrollHeight;
    this.endHeight = this.box.scrollHeight;
  }

  toBottom() {
    this.pinned = true;
    this.updateFollowButton();
    this.scrollToEnd();
    this.unseen = 0;
    this.newLinesButton.hidden = true;
  }

  toTop() {
    this.pinned = false;
    this.updateFollowButton();
    this.box.scrollTop = 0;
  }

  toggleFollow() {
    if (this.pinned) {
      this.pinned = false;
      this.updateFollowButton();
    } else this.toBottom();
  }

  setWrap(on, remember = false) {
    this.box.classList.toggle('wrap', on);
    this.wrapButton.setAttribute('aria-pressed', String(on));
    if (remember) localStorage.setItem(WRAP_KEY, on ? '1' : '0');
  }

  status(text, kind = '') {
    this.statusLine.textContent = text;
    this.statusLine.dataset.kind = kind;
  }

  earlierNotLoaded() {
    return this.start;
  }

  // With a token, the file is fetched with it (a link cannot carry a header) and saved from memory.
  async download(event) {
    if (!savedToken()) return;
    event.preventDefault();
    const link = this.panel.querySelector('.download');
    const response = await apiFetch(link.href);
    if (!response.ok) {
      this.status(describeFailure(response, await errorBody(response)), 'error');
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const save = document.createElement('a');
    save.href = url;
    save.download = link.getAttribute('download');
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  describeLoaded() {
    const parts = [`the loaded ${grouped(this.lines.length)} lines`];
    if (this.start > 0 && !this.droppedLines) parts.push(`${formatBytes(this.start)} earlier not loaded`);
    if (this.droppedLines) parts.push(`${grouped(this.droppedLines)} earlier lines let go (download has them)`);
    return parts.join('; ');
  }
}

function gutterWidth(line) {
  return parseFloat(getComputedStyle(line).paddingLeft) || 0;
}

export function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) { bytes += 4; i++; } else bytes += 3;
  }
  return bytes;
}

function yieldToBrowser() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
