// `cargo xtask bench-app`: what the app costs a visitor, measured in Debian's Chromium.
//
//   (a) every file of the release build in frontend/dist: raw, and its precompressed .gz
//       (gzip -9) and .br (brotli 11) twins, which onair sends as they are;
//   (b) what the home page and a viewer page (up to its first frame) receive from onair over
//       loopback http: each response (pages, wasm, JS, CSS, the SDK on stream pages, API calls),
//       its raw size, its encoding and the bytes on the wire (headers plus body as sent, from
//       Chromium), and the page's total against the goals (home 150 KB, viewer 330 KB);
//   (c) a viewer's time to first frame, from opening the link (no click: the page plays by
//       itself), side by side with the physical limit of any app on livekit-client: a bare page
//       (tests/browser/bench-bare.html, a file of the bench, served at a path onair does not
//       have by Playwright's routing, so same origin) that loads the same SDK file from onair,
//       asks the same `POST /api/token`, connects and plays. N rounds, each a fresh browser
//       context (empty cache) for OnAir's viewer and one for the bare page, against the same
//       host stream; we read `performance.now()` (milliseconds since navigation start) at the
//       first frame presented by [data-testid=stream-video] (requestVideoFrameCallback;
//       `loadeddata` as a fallback), and print both medians and their ratio (goal ≤ 1.10).
//       OnAir's breakdown: token asked (`onair:token-asked`, the page's early join), SDK loaded
//       (`onair:sdk-ready`), app started (`stream-state` shows), joining (`onair:connecting`),
//       signal connected, connected (`onair:connected`), first frame. With `--profile`, a CPU
//       profile of the first OnAir viewer's page, its top functions;
//   (d) a returning viewer (name remembered in localStorage): the same, N fresh contexts.
//
// Usage (the stack comes from xtask): node tests/browser/bench-app.mjs [--viewers N] [--summary FILE]
// With --summary, the figures also go to FILE as JSON (what `cargo xtask bench` puts in its table).

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

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
/** `--profile`: a CPU profile of the first returning viewer's page, its top functions printed. */
const PROFILE = args.includes('--profile');

/** Goals of issue 10, in KB of 1000 bytes on the wire. */
const GOALS = { home: 150, viewer: 330, firstFrameRatio: 1.1 };
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
const pad = (text, width) => String(text).padEnd(width);
const padLeft = (text, width) => String(text).padStart(width);

function builtFiles() {
  console.log('\n(a) the release build (frontend/dist): each file and its precompressed twins');
  const files = readdirSync(DIST).filter((f) => !f.endsWith('.gz') && !f.endsWith('.br')).sort();
  if (!files.some((f) => f.endsWith('.wasm'))) throw new Error(`no .wasm in ${DIST}: build the app first`);
  console.log(`  ${pad('file', 44)} ${padLeft('raw', 10)} ${padLeft('gzip', 10)} ${padLeft('brotli', 10)}`);
  const twin = (file, ext) => {
    try {
      return kb(statSync(path.join(DIST, `${file}.${ext}`)).size);
    } catch {
      return '-';
    }
  };
  for (const file of files) {
    console.log(
      `  ${pad(file, 44)} ${padLeft(kb(statSync(path.join(DIST, file)).size), 10)} ${padLeft(twin(file, 'gz'), 10)} ${padLeft(twin(file, 'br'), 10)}`,
    );
  }
}

/**
 * Opens `url` in a fresh context and collects every same-origin, non-API response the page makes
 * until the network is quiet (`ready` says when the page is usable).
 */
async function pageTransfer(browser, title, url, ready, { prepare } = {}) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  if (prepare) await prepare(context);
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
    if (u.origin !== origin) continue;
    const body = await response.body().catch(() => null);
    if (!body) continue;
    const sizes = await response.request().sizes().catch(() => null);
    rows.push({
      file: `${response.request().method()} ${u.pathname}`,
      raw: body.length,
      sent: sizes ? sizes.responseBodySize : 0,
      // Bytes on the wire: the response's headers plus its body as sent.
      wire: sizes ? sizes.responseHeadersSize + sizes.responseBodySize : 0,
      encoding: (await response.headerValue('content-encoding').catch(() => null)) || 'identity',
    });
  }
  await context.close();
  console.log(`\n  ${title}: ${url.replace(BASE_URL, '')}`);
  console.log(`    ${pad('response', 56)} ${padLeft('raw', 10)} ${padLeft('encoding', 9)} ${padLeft('on wire', 10)}`);
  for (const row of rows) {
    console.log(
      `    ${pad(row.file.length > 56 ? `…${row.file.slice(-55)}` : row.file, 56)} ${padLeft(kb(row.raw), 10)} ${padLeft(row.encoding, 9)} ${padLeft(kb(row.wire), 10)}`,
    );
  }
  const sum = (key) => rows.reduce((n, r) => n + (r[key] ?? 0), 0);
  console.log(
    `    ${pad(`total (${rows.length} responses)`, 56)} ${padLeft(kb(sum('raw')), 10)} ${padLeft('', 9)} ${padLeft(kb(sum('wire')), 10)}`,
  );
  return { files: rows.length, raw: sum('raw'), sent: sum('sent'), wire: sum('wire') };
}

/** What the viewer page logs when its first frame is presented. */
const FRAME_SIGNAL = 'onair-bench:first-frame';

/** Marks, in the viewer page, when the stream's video presents its first frame (logging `FRAME_SIGNAL`). */
function markFirstFrame() {
  const marks = {};
  Object.defineProperty(window, '__onairBench', { value: marks });
  const mark = (what) => {
    if (marks[what] === undefined) marks[what] = performance.now();
  };
  // The main thread's long tasks (what a click waits for).
  marks.longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) marks.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // No long-task timing in this browser.
  }
  // The app has started when it shows the stream's state.
  const appStarted = () => {
    if (marks.app === undefined && document.querySelector('[data-testid="stream-state"]')) mark('app');
  };
  const hook = (video) => {
    if (video.__onairHooked) return;
    video.__onairHooked = true;
    const presented = (what) => {
      mark(what);
      console.debug('onair-bench:first-frame');
    };
    video.addEventListener('loadeddata', () => presented('loadeddata'));
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => presented('frame'));
  };
  new MutationObserver(() => {
    appStarted();
    document.querySelectorAll('[data-testid="stream-video"]').forEach(hook);
  }).observe(document, { subtree: true, childList: true });
}

/**
 * One viewer in a fresh context opens `url` (OnAir's share link, or the bare page), with
 * `name` remembered when given. The marks, in ms after navigation start.
 */
async function timeToFirstFrame(browser, url, { name, profile = false }) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  if (url.includes(BARE_PATH)) await serveBarePage(context);
  if (name) {
    await context.addInitScript(([key, value]) => localStorage.setItem(key, value), [VIEWER_NAME_KEY, name]);
  }
  await context.addInitScript(markFirstFrame);
  const page = await context.newPage();
  if (process.env.ONAIR_BENCH_DEBUG) {
    page.on('console', (m) => console.log(`    [page ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => console.log(`    [page error] ${e.message}`));
  }
  const profiler = profile ? await context.newCDPSession(page) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 500 });
    await profiler.send('Profiler.start');
  }
  try {
    // The page says when it has a frame on the console: no Playwright script runs in it until
    // then, to take no main-thread time from the page being measured.
    const presented = page.waitForEvent('console', {
      predicate: (message) => message.text() === FRAME_SIGNAL,
      timeout: MEDIA_WAIT,
    });
    await page.goto(url, { waitUntil: 'commit' });
    await presented;
    if (profiler) printProfile((await profiler.send('Profiler.stop')).profile);
    await page.waitForTimeout(200);
    const marks = await page.evaluate(() => {
      const appMark = (name) => performance.getEntriesByName(name, 'mark')[0]?.startTime;
      return {
        ...window.__onairBench,
        token: appMark('onair:token-asked') ?? appMark('bare:token-asked'),
        sdk: appMark('onair:sdk-ready') ?? appMark('bare:sdk-ready'),
        connecting: appMark('onair:connecting') ?? appMark('bare:connecting'),
        signal: appMark('onair:signal-connected') ?? appMark('bare:signal-connected'),
        connected: appMark('onair:connected') ?? appMark('bare:connected'),
      };
    });
    return {
      first: marks.frame ?? marks.loadeddata,
      app: marks.app,
      token: marks.token,
      sdk: marks.sdk,
      connecting: marks.connecting,
      signal: marks.signal,
      connected: marks.connected,
      via: marks.frame !== undefined ? 'requestVideoFrameCallback' : 'loadeddata',
    };
  } finally {
    await context.close();
  }
}

/** Where the bare page is served (a path onair does not have: Playwright answers it). */
const BARE_PATH = '/__bench/bare/';
const BARE_PAGE = readFileSync(new URL('./bench-bare.html', import.meta.url), 'utf8');

/** The SDK file of the build, as OnAir's pages name it. */
function sdkFile() {
  const file = readdirSync(DIST).find((f) => /^livekit-client-[0-9a-f]+\.js$/.test(f));
  if (!file) throw new Error(`no livekit-client-*.js in ${DIST}`);
  return `/${file}`;
}

/** Answers the bare page's path in `context` with the bench's page, naming the build's SDK. */
async function serveBarePage(context) {
  const html = BARE_PAGE.replaceAll('{{sdk}}', sdkFile());
  await context.route(`**${BARE_PATH}*`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }),
  );
}

/** The functions that took the most main-thread time in a CDP CPU profile (self time). */
function printProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${url.split('/').pop()}:${lineNumber}` : ''}`;
    self.set(key, (self.get(key) || 0) + (deltas[i + 1] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`  CPU profile of the page up to its first frame: ${total.toFixed(0)} ms sampled; the top functions by self time:`);
  for (const [key, ms] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`    ${padLeft(ms.toFixed(1), 7)} ms  ${key}`);
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  builtFiles();

  console.log('\n(b) what each page receives from onair (every response, API calls included)');
  const { roomId, shareUrl } = await openHostStudio({ hostName: 'Bench Host', label: 'bench-host' });
  // A page Playwright answers has no address, so Chromium's Local Network Access checks would
  // keep the bare page from LiveKit on loopback: they are off in the bench's browser, for
  // OnAir's pages and the bare page alike.
  const browser = await launchBrowser({ extraArgs: ['--disable-features=LocalNetworkAccessChecks'] });
  try {
    const home = await pageTransfer(browser, 'home page', `${BASE_URL}/`, (page) =>
      page.locator(tid('create-stream')).waitFor({ timeout: WAIT }),
    );
    const live = (page) =>
      page
        .waitForFunction(
          ([state, video]) =>
            document.querySelector(state)?.textContent.trim() === 'live' &&
            document.querySelector(video)?.readyState >= 2,
          [tid('stream-state'), tid('stream-video')],
          { timeout: MEDIA_WAIT },
        )
        .catch(() => console.log('    (the viewer page did not play: sizes may be partial)'));
    const viewer = await pageTransfer(browser, 'viewer page, opening the link, up to its picture', shareUrl, live);
    const barePage = `${BASE_URL}${BARE_PATH}${roomId}`;
    const bare = await pageTransfer(browser, 'the bare page (same SDK, same token request), up to its picture', barePage, async (page) =>
      page
        .waitForFunction((video) => document.querySelector(video)?.readyState >= 2, tid('stream-video'), { timeout: MEDIA_WAIT })
        .catch(() => console.log('    (the bare page did not play: sizes may be partial)')),
      { prepare: serveBarePage },
    );

    console.log(`\n(c) from opening the link to the first frame: OnAir's viewer and the bare page, ${VIEWERS} fresh contexts each, room ${roomId}`);
    const ms = (value) => padLeft(value === undefined ? '?' : value.toFixed(0), 5);
    const header = () =>
      console.log(
        `  ${pad('', 12)} ${['token', 'SDK', 'app', 'joining', 'signal', 'connect', 'frame'].map((h) => padLeft(h, 7)).join(' ')}  (ms after navigation start)`,
      );
    const row = (label, run) =>
      console.log(
        `  ${pad(label, 12)} ${[run.token, run.sdk, run.app, run.connecting, run.signal, run.connected, run.first].map((v) => `  ${ms(v)}`).join(' ')}  (${run.via})`,
      );
    header();
    const onairRuns = [];
    const bareRuns = [];
    // Alternating, so both meet the same machine and the same stream.
    for (let i = 1; i <= VIEWERS; i++) {
      const onair = await timeToFirstFrame(browser, shareUrl, { profile: PROFILE && i === 1 });
      onairRuns.push(onair);
      row(`onair  ${i}`, onair);
      const baseline = await timeToFirstFrame(browser, barePage, {});
      bareRuns.push(baseline);
      row(`bare   ${i}`, baseline);
    }
    const firsts = onairRuns.map((run) => run.first);
    const bareFirsts = bareRuns.map((run) => run.first);
    const medianOf = (runs, key) => median(runs.map((run) => run[key]).filter((v) => v !== undefined));
    const ratio = median(firsts) / median(bareFirsts);

    console.log(`\n(d) a returning viewer (name remembered), ${VIEWERS} fresh contexts`);
    header();
    const returning = [];
    for (let i = 1; i <= VIEWERS; i++) {
      const run = await timeToFirstFrame(browser, shareUrl, { name: `Bench Viewer ${i}` });
      returning.push(run.first);
      row(`onair  ${i}`, run);
    }

    const verdict = (value, goal) => (value <= goal ? `goal ≤ ${goal}: met` : `goal ≤ ${goal}: NOT met`);
    const spread = (values) =>
      `median ${median(values).toFixed(0)} ms (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)}, n=${values.length})`;
    console.log('\nsummary (KB = 1000 bytes, on the wire over loopback http)');
    console.log(`  home page:   ${kb(home.wire)} (${kb(home.raw)} raw, ${home.files} responses)  ${verdict(home.wire / 1000, GOALS.home)}`);
    console.log(`  viewer page: ${kb(viewer.wire)} (${kb(viewer.raw)} raw, ${viewer.files} responses)  ${verdict(viewer.wire / 1000, GOALS.viewer)}`);
    console.log(`  bare page:   ${kb(bare.wire)} (${kb(bare.raw)} raw, ${bare.files} responses): the SDK and the token, what any app on livekit-client needs`);
    console.log(`  OnAir viewer, opening the link to first frame: ${spread(firsts)}`);
    console.log(`  bare page,    opening the link to first frame: ${spread(bareFirsts)}`);
    console.log(`  ratio OnAir / bare (medians): ${ratio.toFixed(2)}  ${verdict(Number(ratio.toFixed(2)), GOALS.firstFrameRatio)}`);
    console.log(
      `    OnAir median breakdown: token asked ${medianOf(onairRuns, 'token').toFixed(0)} ms, SDK loaded ${medianOf(onairRuns, 'sdk').toFixed(0)} ms, ` +
        `app started ${medianOf(onairRuns, 'app').toFixed(0)} ms, joining ${medianOf(onairRuns, 'connecting').toFixed(0)} ms, connected ${medianOf(onairRuns, 'connected').toFixed(0)} ms`,
    );
    console.log(
      `    bare median breakdown:  token asked ${medianOf(bareRuns, 'token').toFixed(0)} ms, SDK loaded ${medianOf(bareRuns, 'sdk').toFixed(0)} ms, ` +
        `joining ${medianOf(bareRuns, 'connecting').toFixed(0)} ms, connected ${medianOf(bareRuns, 'connected').toFixed(0)} ms`,
    );
    console.log(`  returning viewer (name remembered), opening the link to first frame: ${spread(returning)}`);
    if (SUMMARY) {
      writeFileSync(
        SUMMARY,
        JSON.stringify({ home, viewer, bare, firstFramesMs: firsts, bareFirstFramesMs: bareFirsts, ratio, returningFirstFramesMs: returning }, null, 2),
      );
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
