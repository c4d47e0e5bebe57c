// `cargo xtask bench-app`: what the app costs a visitor, measured in Debian's Chromium.
//
//   (a) the release wasm in frontend/dist: raw bytes and gzip -9 bytes;
//   (b) bytes the home page and a viewer page fetch from onair (index.html, wasm, JS, CSS, and on
//       stream pages livekit-client.umd.js): each file's raw size, its gzip -9 size (Node's zlib,
//       level 9: what a gzip-serving proxy or CDN would send) and what onair actually sent
//       (Chromium's encoded body size);
//   (c) a viewer's time to first frame: a host publishes the fake camera, then N times a fresh
//       browser context opens the share link with the name already remembered in localStorage,
//       clicks join-stream as soon as it shows, and we read `performance.now()` (milliseconds
//       since navigation start) at the first frame presented by [data-testid=stream-video]
//       (requestVideoFrameCallback; `loadeddata` as a fallback).
//
// Usage (the stack comes from xtask): node tests/browser/bench-app.mjs [--viewers N] [--summary FILE]
// With --summary, the figures also go to FILE as JSON (what `cargo xtask bench` puts in its table).

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import {
  BASE_URL,
  MEDIA_WAIT,
  VIEWER_NAME_KEY,
  WAIT,
  closeAll,
  launchBrowser,
  openHostStudio,
  tid,
} from './lib/helpers.mjs';

const args = process.argv.slice(2);
const viewersArg = args.indexOf('--viewers');
const VIEWERS = viewersArg >= 0 ? Number(args[viewersArg + 1]) : 5;
const summaryArg = args.indexOf('--summary');
const SUMMARY = summaryArg >= 0 ? args[summaryArg + 1] : null;
const DIST = path.resolve(process.env.ONAIR_BENCH_DIST || 'frontend/dist');

const gzip9 = (buffer) => gzipSync(buffer, { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const pad = (text, width) => String(text).padEnd(width);
const padLeft = (text, width) => String(text).padStart(width);

function wasmSizes() {
  console.log('\n(a) release wasm (frontend/dist)');
  const wasm = readdirSync(DIST).filter((f) => f.endsWith('.wasm'));
  if (wasm.length === 0) throw new Error(`no .wasm in ${DIST}: build the app first`);
  for (const file of wasm) {
    const bytes = readFileSync(path.join(DIST, file));
    console.log(
      `  ${pad(file, 48)} raw ${padLeft(kb(statSync(path.join(DIST, file)).size), 11)}   gzip -9 ${padLeft(kb(gzip9(bytes)), 10)}`,
    );
  }
}

/**
 * Opens `url` in a fresh context and collects every same-origin, non-API response the page makes
 * until the network is quiet (`ready` says when the page is usable).
 */
async function pageTransfer(browser, title, url, ready) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const responses = [];
  page.on('response', (response) => responses.push(response));
  await page.goto(url);
  await ready(page);
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForTimeout(1_000);
  const origin = new URL(BASE_URL).origin;
  const rows = [];
  for (const response of responses) {
    const u = new URL(response.url());
    if (u.origin !== origin || u.pathname.startsWith('/api/') || response.status() !== 200) continue;
    const body = await response.body().catch(() => null);
    if (!body) continue;
    const sizes = await response.request().sizes().catch(() => null);
    rows.push({
      file: u.pathname === '/' || u.pathname.startsWith('/stream/') ? `${u.pathname} (index.html)` : u.pathname,
      raw: body.length,
      gzip: gzip9(body),
      sent: sizes ? sizes.responseBodySize : null,
      // Bytes on the wire: the response's headers plus its body as sent.
      wire: sizes ? sizes.responseHeadersSize + sizes.responseBodySize : null,
      encoding: (await response.headerValue('content-encoding').catch(() => null)) || 'identity',
    });
  }
  await context.close();
  console.log(`\n  ${title}: ${url.replace(BASE_URL, '')}`);
  console.log(`    ${pad('file', 56)} ${padLeft('raw', 11)} ${padLeft('gzip -9', 11)} ${padLeft('as sent', 11)}`);
  for (const row of rows) {
    console.log(
      `    ${pad(row.file.length > 56 ? `…${row.file.slice(-55)}` : row.file, 56)} ${padLeft(kb(row.raw), 11)} ${padLeft(kb(row.gzip), 11)} ${padLeft(row.sent === null ? '?' : kb(row.sent), 11)}${row.encoding === 'identity' ? '' : ` (${row.encoding})`}`,
    );
  }
  const sum = (key) => rows.reduce((n, r) => n + (r[key] ?? 0), 0);
  console.log(
    `    ${pad(`total (${rows.length} files)`, 56)} ${padLeft(kb(sum('raw')), 11)} ${padLeft(kb(sum('gzip')), 11)} ${padLeft(kb(sum('sent')), 11)}`,
  );
  return { files: rows.length, raw: sum('raw'), gzip: sum('gzip'), sent: sum('sent'), wire: sum('wire') };
}

/** Marks, in the viewer page, when the stream's video presents its first frame. */
function markFirstFrame() {
  const marks = {};
  Object.defineProperty(window, '__onairBench', { value: marks });
  const mark = (what) => {
    if (marks[what] === undefined) marks[what] = performance.now();
  };
  const hook = (video) => {
    if (video.__onairHooked) return;
    video.__onairHooked = true;
    video.addEventListener('loadeddata', () => mark('loadeddata'));
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => mark('frame'));
  };
  new MutationObserver(() => {
    document.querySelectorAll('[data-testid="stream-video"]').forEach(hook);
  }).observe(document, { subtree: true, childList: true });
}

async function timeToFirstFrame(browser, shareUrl, i) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  await context.addInitScript(
    ([key, name]) => localStorage.setItem(key, name),
    [VIEWER_NAME_KEY, `Bench Viewer ${i}`],
  );
  await context.addInitScript(markFirstFrame);
  const page = await context.newPage();
  try {
    await page.goto(shareUrl, { waitUntil: 'commit' });
    const input = page.locator(tid('viewer-name-input'));
    await input.waitFor({ timeout: WAIT });
    if (!(await input.inputValue())) await input.fill(`Bench Viewer ${i}`);
    await page.locator(tid('join-stream')).click();
    const clicked = await page.evaluate(() => performance.now());
    await page.waitForFunction(
      () => window.__onairBench.frame !== undefined || window.__onairBench.loadeddata !== undefined,
      null,
      { timeout: MEDIA_WAIT, polling: 20 },
    );
    await page.waitForTimeout(200);
    const marks = await page.evaluate(() => ({ ...window.__onairBench }));
    const first = marks.frame ?? marks.loadeddata;
    return { first, clicked, via: marks.frame !== undefined ? 'requestVideoFrameCallback' : 'loadeddata' };
  } finally {
    await context.close();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  wasmSizes();

  console.log('\n(b) page transfers from onair (same-origin files, API calls excluded)');
  const { roomId, shareUrl } = await openHostStudio({ hostName: 'Bench Host', label: 'bench-host' });
  const browser = await launchBrowser();
  try {
    const home = await pageTransfer(browser, 'home page', `${BASE_URL}/`, (page) =>
      page.locator(tid('create-stream')).waitFor({ timeout: WAIT }),
    );
    const viewer = await pageTransfer(browser, 'viewer page, after join-stream', shareUrl, async (page) => {
      const input = page.locator(tid('viewer-name-input'));
      await input.waitFor({ timeout: WAIT });
      await input.fill('Bench Sizer');
      await page.locator(tid('join-stream')).click();
      await page
        .waitForFunction(
          (sel) => document.querySelector(sel)?.textContent.trim() === 'live',
          tid('stream-state'),
          { timeout: MEDIA_WAIT },
        )
        .catch(() => console.log('    (the viewer page did not reach "live": sizes may be partial)'));
    });

    console.log(`\n(c) viewer time to first frame, ${VIEWERS} fresh contexts, room ${roomId}`);
    const firsts = [];
    for (let i = 1; i <= VIEWERS; i++) {
      const run = await timeToFirstFrame(browser, shareUrl, i);
      firsts.push(run.first);
      console.log(
        `  viewer ${i}: first frame ${padLeft(run.first.toFixed(0), 5)} ms after navigation start ` +
          `(join clicked at ${run.clicked.toFixed(0)} ms; ${run.via})`,
      );
    }

    console.log('\nsummary');
    console.log(`  home page:   ${kb(home.gzip)} gzip -9 (${kb(home.raw)} raw, ${kb(home.sent)} as sent)`);
    console.log(`  viewer page: ${kb(viewer.gzip)} gzip -9 (${kb(viewer.raw)} raw, ${kb(viewer.sent)} as sent)`);
    console.log(
      `  viewer time to first frame: median ${median(firsts).toFixed(0)} ms ` +
        `(min ${Math.min(...firsts).toFixed(0)}, max ${Math.max(...firsts).toFixed(0)}, n=${firsts.length})`,
    );
    if (SUMMARY) {
      writeFileSync(SUMMARY, JSON.stringify({ home, viewer, firstFramesMs: firsts }, null, 2));
    }
  } finally {
    await browser.close().catch(() => {});
    await closeAll();
  }
}

main().catch(async (error) => {
  console.error(error);
  await closeAll();
  process.exit(1);
});
