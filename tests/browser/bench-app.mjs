// `cargo xtask bench-app`: what the app costs a visitor, measured in Debian's Chromium.
//
//   (a) every file of the release build in frontend/dist: raw, and its precompressed .gz
//       (gzip -9) and .br (brotli 11) twins, which onair sends as they are;
//   (b) what the home page and a viewer page (up to its first frame) receive from onair over
//       loopback http: each response (pages, wasm, JS, CSS, the SDK on stream pages, API calls),
//       its raw size, its encoding and the bytes on the wire (headers plus body as sent, from
//       Chromium), and the page's total against the goals (home 150 KB, viewer 330 KB);
//   (c) a viewer's time to first frame: a host publishes the fake camera, then N times a fresh
//       browser context (empty cache) opens the share link with the name already remembered in
//       localStorage (filled in on the form), clicks join-stream as soon as it shows, and we
//       read `performance.now()` (milliseconds since navigation start) at the first frame
//       presented by [data-testid=stream-video] (requestVideoFrameCallback; `loadeddata` as a
//       fallback). The click comes from inside the page, in the task after the button shows:
//       Playwright's own click first compiles its injected script in the page (about 200 ms of
//       main thread here), which a person's click does not cost. The breakdown: page ready (the
//       join button shows), clicked, SDK loaded (its script ran: `onair:sdk-ready`), joining
//       (`onair:connecting`), signal connected, connected (`onair:connected`, set when
//       LiveKit's connect resolves), first frame; and the main thread's long tasks before the
//       click. With `--profile`, a CPU profile of the first viewer's page, its top functions;
//   (d) a first-time viewer's wait: N fresh contexts with no name remembered open the link, the
//       name is typed, and the time runs from the click on join-stream (made from inside the
//       page too) to the first frame.
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
const GOALS = { home: 150, viewer: 330, firstFrameMs: 600 };
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
  // The page is ready when the join button shows; a returning viewer, whose name is filled
  // in, clicks it at once (from inside the page, in the next task).
  const watchReady = () => {
    const join = document.querySelector('[data-testid="join-stream"]');
    if (marks.ready !== undefined || !join) return;
    mark('ready');
    if (window.__onairBenchClickWhenReady) {
      setTimeout(() => {
        mark('click');
        join.click();
      }, 0);
    }
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
    watchReady();
    document.querySelectorAll('[data-testid="stream-video"]').forEach(hook);
  }).observe(document, { subtree: true, childList: true });
}

/**
 * One viewer in a fresh context: a returning one (`name` remembered and filled in, join clicked
 * as soon as it shows), or a first-time one who types `name` and clicks join. The marks, in ms
 * after navigation start.
 */
async function timeToFirstFrame(browser, shareUrl, name, { returning, profile = false }) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  if (returning) {
    await context.addInitScript(([key, value]) => {
      localStorage.setItem(key, value);
      window.__onairBenchClickWhenReady = true;
    }, [VIEWER_NAME_KEY, name]);
  }
  await context.addInitScript(markFirstFrame);
  const page = await context.newPage();
  const profiler = profile ? await context.newCDPSession(page) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 500 });
    await profiler.send('Profiler.start');
  }
  try {
    // The page says when it has a frame on the console: no Playwright script runs in it until
    // then (for a returning viewer), to take main-thread time from the page being measured.
    const presented = page.waitForEvent('console', {
      predicate: (message) => message.text() === FRAME_SIGNAL,
      timeout: MEDIA_WAIT,
    });
    await page.goto(shareUrl, { waitUntil: 'commit' });
    if (!returning) {
      const input = page.locator(tid('viewer-name-input'));
      await input.waitFor({ timeout: WAIT });
      await input.fill(name);
      await page.evaluate((sel) => {
        window.__onairBench.click = performance.now();
        document.querySelector(sel).click();
      }, tid('join-stream'));
    }
    await presented;
    if (profiler) printProfile((await profiler.send('Profiler.stop')).profile);
    await page.waitForTimeout(200);
    const marks = await page.evaluate(() => {
      const appMark = (name) => performance.getEntriesByName(name, 'mark')[0]?.startTime;
      return {
        ...window.__onairBench,
        sdk: appMark('onair:sdk-ready'),
        connecting: appMark('onair:connecting'),
        signal: appMark('onair:signal-connected'),
        connected: appMark('onair:connected'),
      };
    });
    return {
      first: marks.frame ?? marks.loadeddata,
      clicked: marks.click,
      longTasks: marks.longTasks,
      ready: marks.ready,
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

    console.log(`\n(c) a viewer's time to first frame (name remembered), ${VIEWERS} fresh contexts, room ${roomId}`);
    const ms = (value) => padLeft(value === undefined ? '?' : value.toFixed(0), 5);
    console.log(
      `  ${pad('', 10)} ${['ready', 'clicked', 'SDK', 'joining', 'signal', 'connect', 'frame'].map((h) => padLeft(h, 7)).join(' ')}  (ms after navigation start)`,
    );
    const runs = [];
    for (let i = 1; i <= VIEWERS; i++) {
      const run = await timeToFirstFrame(browser, shareUrl, `Bench Viewer ${i}`, {
        returning: true,
        profile: PROFILE && i === 1,
      });
      runs.push(run);
      const busy = run.longTasks
        .filter(([at]) => at < run.clicked)
        .reduce((total, [, duration]) => total + duration, 0);
      console.log(
        `  viewer ${padLeft(i, 3)} ${[run.ready, run.clicked, run.sdk, run.connecting, run.signal, run.connected, run.first].map((v) => `  ${ms(v)}`).join(' ')}  (${run.via}; main thread busy ${busy.toFixed(0)} ms in long tasks before the click)`,
      );
    }
    const firsts = runs.map((run) => run.first);
    const medianOf = (key) => median(runs.map((run) => run[key]).filter((v) => v !== undefined));

    console.log(`\n(d) a first-time viewer: from the click on join-stream to the first frame, ${VIEWERS} fresh contexts`);
    const afterClick = [];
    for (let i = 1; i <= VIEWERS; i++) {
      const run = await timeToFirstFrame(browser, shareUrl, `New Viewer ${i}`, { returning: false });
      afterClick.push(run.first - run.clicked);
      console.log(`  viewer ${padLeft(i, 3)}  clicked at ${ms(run.clicked)} ms, first frame ${ms(run.first - run.clicked)} ms later`);
    }

    const verdict = (value, goal) => (value <= goal ? `goal ≤ ${goal}: met` : `goal ≤ ${goal}: NOT met`);
    console.log('\nsummary (KB = 1000 bytes, on the wire over loopback http)');
    console.log(`  home page:   ${kb(home.wire)} (${kb(home.raw)} raw, ${home.files} responses)  ${verdict(home.wire / 1000, GOALS.home)}`);
    console.log(`  viewer page: ${kb(viewer.wire)} (${kb(viewer.raw)} raw, ${viewer.files} responses)  ${verdict(viewer.wire / 1000, GOALS.viewer)}`);
    console.log(
      `  viewer time to first frame (name remembered, from opening the link): median ${median(firsts).toFixed(0)} ms ` +
        `(min ${Math.min(...firsts).toFixed(0)}, max ${Math.max(...firsts).toFixed(0)}, n=${firsts.length})  ${verdict(median(firsts), GOALS.firstFrameMs)}`,
    );
    console.log(
      `    median breakdown: page ready ${medianOf('ready').toFixed(0)} ms, SDK loaded ${medianOf('sdk').toFixed(0)} ms, ` +
        `clicked ${medianOf('clicked').toFixed(0)} ms, joining ${medianOf('connecting').toFixed(0)} ms, connected ${medianOf('connected').toFixed(0)} ms, first frame ${median(firsts).toFixed(0)} ms`,
    );
    console.log(
      `  first-time viewer, from the click on join to the first frame: median ${median(afterClick).toFixed(0)} ms ` +
        `(min ${Math.min(...afterClick).toFixed(0)}, max ${Math.max(...afterClick).toFixed(0)}, n=${afterClick.length})`,
    );
    if (SUMMARY) {
      writeFileSync(SUMMARY, JSON.stringify({ home, viewer, firstFramesMs: firsts, afterClickMs: afterClick }, null, 2));
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
