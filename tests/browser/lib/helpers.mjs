// Helpers of OnAir's browser suite: Debian's Chromium driven by playwright-core, one browser
// process per participant (host, each viewer), fake camera and microphone, and small waits that
// read the app only through its stable `data-testid` hooks (SPEC §5).
//
// The stack comes from `cargo xtask test` (or `cargo xtask bench-app`), through the environment:
//   ONAIR_E2E_URL               the onair under test, e.g. http://127.0.0.1:41234
//   ONAIR_E2E_LIVEKIT_URL       its LiveKit (ws://127.0.0.1:…)
//   ONAIR_E2E_LIVEKIT_PID       LiveKit's pid at start; ONAIR_E2E_LIVEKIT_PID_FILE holds the
//                               current one (xtask's supervisor restarts LiveKit when it dies)
//   ONAIR_E2E_SCREENSHOTS       where PNGs (and each browser's console log) go
//   ONAIR_E2E_CHROMIUM          the browser (default /usr/bin/chromium)

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHROMIUM, CHROMIUM_FLAGS, launchChromium } from './chromium.mjs';

export { sleep, CHROMIUM, CHROMIUM_FLAGS };

/** Starts a Chromium process (a fresh profile each time). */
export const launchBrowser = launchChromium;

/** The onair under test. */
export const BASE_URL = (() => {
  const url = process.env.ONAIR_E2E_URL;
  if (!url) {
    throw new Error(
      'ONAIR_E2E_URL is not set: run the browser suite through `cargo xtask test`, which starts ' +
        'LiveKit and onair for it',
    );
  }
  return url.replace(/\/+$/, '');
})();

export const SCREENSHOTS = path.resolve(process.env.ONAIR_E2E_SCREENSHOTS || 'target/e2e-screenshots');

/** Viewports of the screenshots. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** The localStorage key under which the app remembers a viewer's name. */
export const VIEWER_NAME_KEY = 'onair.viewerName';

/** How long the ordinary waits last (the machine has two cores and runs everything). */
export const WAIT = 20_000;
/** Waits that span a WebRTC connection being set up. */
export const MEDIA_WAIT = 30_000;

const participants = new Set();

/**
 * Records every text the page's `stream-state` element shows, in order, in
 * `window.__onairStates` (`[{state, at}]`), so a test can see a short-lived state such as
 * `reconnecting` after the fact.
 */
function recordStreamStates() {
  const states = [];
  Object.defineProperty(window, '__onairStates', { value: states });
  let last = null;
  const check = () => {
    const el = document.querySelector('[data-testid="stream-state"]');
    const state = el ? el.textContent.trim() : null;
    if (state !== last) {
      last = state;
      if (state !== null) states.push({ state, at: performance.now() });
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
  });
}

/**
 * A participant: its own Chromium process, one context (camera, microphone and clipboard
 * allowed) and one page. Its console and page errors go to `{SCREENSHOTS}/logs/{label}.log`.
 * With `autoplay: false` the browser blocks sound until the user clicks (see `launchChromium`).
 */
export async function newParticipant(label, { viewport = DESKTOP, autoplay = true } = {}) {
  const browser = await launchBrowser({ autoplay });
  const context = await browser.newContext({
    viewport,
    permissions: ['camera', 'microphone', 'clipboard-read', 'clipboard-write'],
  });
  await context.addInitScript(recordStreamStates);
  const page = await context.newPage();
  const log = [];
  const stamp = () => new Date().toISOString().slice(11, 23);
  page.on('console', (msg) => log.push(`${stamp()} console.${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => log.push(`${stamp()} pageerror: ${err.stack || err}`));
  page.on('requestfailed', (req) =>
    log.push(`${stamp()} requestfailed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`),
  );
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) log.push(`${stamp()} navigated: ${frame.url()}`);
  });
  // Confirmations (remove a viewer, end the stream) are accepted, as the user means them.
  page.on('dialog', (dialog) => dialog.accept().catch(() => {}));
  const participant = {
    label,
    browser,
    context,
    page,
    log,
    /** Leaves as a person does: closes the tab (running its unload handlers), then the browser. */
    async close() {
      if (!participants.has(participant)) return;
      participants.delete(participant);
      if (!page.isClosed()) {
        const closed = page.waitForEvent('close', { timeout: 5_000 }).catch(() => {});
        await page.close({ runBeforeUnload: true }).catch(() => {});
        await closed;
      }
      writeLog(participant);
      await browser.close().catch(() => {});
    },
  };
  participants.add(participant);
  return participant;
}

function writeLog(participant) {
  try {
    const dir = path.join(SCREENSHOTS, 'logs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${participant.label}.log`), participant.log.join('\n') + '\n');
  } catch {
    // Logs are a convenience.
  }
}

/** Closes every participant still open (call from `after`). */
export async function closeAll() {
  await Promise.all([...participants].map((p) => p.close()));
}

/**
 * Screenshots of every open participant's page, named `failure-{test}-{label}.png`: call when a
 * step failed, to see what each person saw.
 */
export async function failureScreenshots(testName) {
  const slug = testName.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 60);
  for (const p of participants) {
    await p.page
      .screenshot({ path: path.join(SCREENSHOTS, `failure-${slug}-${p.label}.png`), timeout: 5_000 })
      .catch(() => {});
    writeLog(p);
  }
}

/** `[data-testid="id"]` */
export const tid = (id) => `[data-testid="${id}"]`;

/** The trimmed textContent of the first `data-testid=id` element, or null. */
export async function textOf(page, id) {
  return page.evaluate(
    (sel) => document.querySelector(sel)?.textContent.trim() ?? null,
    tid(id),
  );
}

/** Whether an element with `data-testid=id` exists on the page. */
export async function exists(page, id) {
  return (await page.locator(tid(id)).count()) > 0;
}

/** The text of the page's `stream-state` (read with textContent, not innerText). */
export async function streamState(page) {
  return textOf(page, 'stream-state');
}

/** Every `stream-state` text the page has shown since it loaded, oldest first. */
export async function streamStates(page) {
  return page.evaluate(() => (window.__onairStates || []).map((s) => s.state));
}

/** Waits until `stream-state` reads `state` (one of SPEC §5's values). */
export async function waitForStreamState(page, state, { timeout = MEDIA_WAIT } = {}) {
  try {
    await page.waitForFunction(
      ([sel, want]) => document.querySelector(sel)?.textContent.trim() === want,
      [tid('stream-state'), state],
      { timeout, polling: 100 },
    );
  } catch (error) {
    const now = await streamState(page).catch(() => '?');
    const seen = await streamStates(page).catch(() => []);
    throw new Error(
      `stream-state did not become "${state}" within ${timeout} ms: it is ${JSON.stringify(now)} ` +
        `(seen: ${seen.join(' → ') || 'nothing'})`,
      { cause: error },
    );
  }
}

/** Waits until the text of `data-testid=id` satisfies `test` (a RegExp or a function). */
export async function waitForText(page, id, test, { timeout = WAIT, what } = {}) {
  const describe = what || `${id} to match ${test}`;
  const deadline = Date.now() + timeout;
  let last = null;
  while (Date.now() < deadline) {
    last = await textOf(page, id).catch(() => null);
    if (last !== null && (test instanceof RegExp ? test.test(last) : test(last))) return last;
    await sleep(100);
  }
  throw new Error(`waited ${timeout} ms for ${describe}; text is ${JSON.stringify(last)}`);
}

/** The number shown by the host's `viewer-count` (its first integer), or null. */
export async function viewerCount(page) {
  const text = await textOf(page, 'viewer-count');
  const match = text && text.match(/\d+/);
  return match ? Number(match[0]) : null;
}

/** Waits until the host's `viewer-count` shows `n`. */
export async function waitForViewerCount(page, n, { timeout = WAIT } = {}) {
  return waitForText(page, 'viewer-count', (t) => (t.match(/\d+/) || [])[0] === String(n), {
    timeout,
    what: `viewer-count to show ${n}`,
  });
}

/**
 * The host studio's local preview. SPEC §5 names no hook for it; the app marks it
 * `data-testid=local-video` (the viewer page's video is `stream-video`).
 */
export const HOST_PREVIEW = '[data-testid="local-video"]';

/**
 * Waits until a video (by default `[data-testid=stream-video]`) shows live video: decoded
 * frames, a size, and `currentTime` advancing while we watch. Returns what was measured.
 */
export async function waitForPlaying(page, { timeout = MEDIA_WAIT, selector = tid('stream-video') } = {}) {
  const sel = selector;
  const probe = () =>
    page.evaluate((s) => {
      const v = document.querySelector(s);
      if (!v) return { present: false };
      const quality = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : null;
      return {
        present: true,
        readyState: v.readyState,
        paused: v.paused,
        currentTime: v.currentTime,
        width: v.videoWidth,
        height: v.videoHeight,
        frames: quality ? quality.totalVideoFrames : null,
      };
    }, sel);
  const deadline = Date.now() + timeout;
  let first = null;
  let last = null;
  while (Date.now() < deadline) {
    last = await probe().catch(() => ({ present: false }));
    const decoding = last.present && last.readyState >= 2 && last.width > 0 && last.frames !== 0;
    if (decoding) {
      if (!first) {
        first = last;
      } else if (last.currentTime > first.currentTime + 0.5 && (last.frames ?? 1) > (first.frames ?? 0)) {
        return last;
      }
    } else {
      first = null;
    }
    await sleep(250);
  }
  throw new Error(
    `${selector} did not play within ${timeout} ms (last probe: ${JSON.stringify(last)})`,
  );
}

/** How wide the page's content is: more than the viewport means it scrolls sideways. */
export async function contentWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/**
 * Saves `{name}-desktop.png` (1280x800) and `{name}-phone.png` (390x844), then restores the
 * viewport. On the phone it also checks that the page does not scroll sideways
 * (`document.documentElement.scrollWidth` ≤ 390), and fails naming the page when it does.
 */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize() || DESKTOP;
  const files = [];
  let phoneWidth = null;
  for (const [suffix, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ]) {
    await page.setViewportSize(viewport);
    await sleep(400); // let the layout and the video settle
    const file = path.join(SCREENSHOTS, `${name}-${suffix}.png`);
    await page.screenshot({ path: file });
    files.push(file);
    if (viewport === PHONE) phoneWidth = await contentWidth(page);
  }
  await page.setViewportSize(before);
  if (phoneWidth > PHONE.width) {
    throw new Error(
      `on a ${PHONE.width} px wide phone the ${name} page scrolls sideways: its content is ` +
        `${phoneWidth} px wide (see ${name}-phone.png)`,
    );
  }
  return files;
}

/** The value of an input, the href of a link or else the text of `data-testid=id`. */
export async function valueOf(page, id) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    if ('value' in el && typeof el.value === 'string' && el.value) return el.value;
    if (el.href) return el.href;
    const inner = el.querySelector('input, a');
    if (inner) return inner.value || inner.href;
    return el.textContent.trim();
  }, tid(id));
}

/** Opens the home page in a new participant's browser. */
export async function openHome(label = 'host') {
  const participant = await newParticipant(label);
  await participant.page.goto(`${BASE_URL}/`);
  await participant.page.locator(tid('create-stream')).waitFor({ timeout: WAIT });
  return participant;
}

/**
 * On the home page: fills the host's name (and the title, if given), clicks `create-stream` and
 * waits for `/host/:roomId`. Returns `{ roomId, shareUrl }`.
 */
export async function createStream(page, { hostName, title }) {
  await page.locator(tid('host-name-input')).fill(hostName);
  if (title !== undefined) await page.locator(tid('stream-title-input')).fill(title);
  await page.locator(tid('create-stream')).click();
  await page.waitForURL(/\/host\/[^/?#]+/, { timeout: WAIT });
  const roomId = new URL(page.url()).pathname.split('/')[2];
  await page.locator(tid('share-link')).waitFor({ timeout: WAIT });
  const shareUrl = await waitForShareUrl(page, roomId);
  return { roomId, shareUrl };
}

async function waitForShareUrl(page, roomId) {
  const deadline = Date.now() + WAIT;
  let value = null;
  while (Date.now() < deadline) {
    value = await valueOf(page, 'share-link');
    if (value && value.includes(`/stream/${roomId}`)) return new URL(value, BASE_URL).href;
    await sleep(100);
  }
  throw new Error(`share-link does not hold a /stream/${roomId} link (it holds ${JSON.stringify(value)})`);
}

/** Waits until the studio shows the camera preview, not on air yet (`connection-status` "preview"). */
export async function waitForHostPreview(page, { timeout = MEDIA_WAIT } = {}) {
  await waitForText(page, 'connection-status', /\bpreview\b/i, {
    timeout,
    what: 'connection-status to say preview',
  });
  return waitForPlaying(page, { selector: HOST_PREVIEW, timeout });
}

/** In the studio: clicks `go-live` once it can be clicked, then waits until the studio is live. */
export async function goLive(page, { timeout = MEDIA_WAIT } = {}) {
  const button = page.locator(tid('go-live'));
  await page.waitForFunction((sel) => document.querySelector(sel)?.disabled === false, tid('go-live'), {
    timeout,
    polling: 100,
  });
  await button.click();
  await waitForHostLive(page, { timeout });
  await button.waitFor({ state: 'detached', timeout: WAIT });
}

/** Waits until the host studio says it is live: `connection-status` reads "live". */
export async function waitForHostLive(page, { timeout = MEDIA_WAIT } = {}) {
  return waitForText(page, 'connection-status', /\blive\b/i, {
    timeout,
    what: 'connection-status to say live',
  });
}

/**
 * A host in their own browser: home page → create a stream → the studio at /host/:roomId with
 * the fake camera's preview → `go-live` (connection-status live, the local video playing).
 * With `live: false` the host stays in the preview. Returns `{ host, page, roomId, shareUrl }`.
 */
export async function openHostStudio({ hostName = 'Alice Host', title, label = 'host', live = true } = {}) {
  const host = await openHome(label);
  const { roomId, shareUrl } = await createStream(host.page, { hostName, title });
  await waitForHostPreview(host.page);
  if (live) {
    await goLive(host.page);
    await waitForPlaying(host.page, { selector: HOST_PREVIEW });
  }
  return { host, page: host.page, roomId, shareUrl };
}

/**
 * A viewer in their own browser: opens the share link (the stream plays with no click and no
 * form, under a neutral name such as "Viewer 4821") and, when `name` is given, chooses it
 * through `change-name` as a viewer would before chatting.
 */
export async function openViewer(shareUrl, name, { label } = {}) {
  const slug = (name || 'anonymous').replace(/\W+/g, '-').toLowerCase();
  const viewer = await newParticipant(label || `viewer-${slug}`);
  await viewer.page.goto(shareUrl);
  if (name) await chooseName(viewer.page, name);
  return viewer;
}

/** What a viewer page logs (see {@link openViewerUntouched}) when the stream's video shows. */
const FIRST_FRAME_SHOWN = 'onair-test: first frame ';

/**
 * Runs in a viewer's page before anything else (an init script): when `stream-video` presents
 * its first frame, logs {@link FIRST_FRAME_SHOWN} with a JSON of the time since navigation,
 * the picture's size and whether the page had a user gesture by then.
 */
function reportFirstFrame() {
  const watched = new WeakSet();
  new MutationObserver((_, observer) => {
    const video = document.querySelector('[data-testid="stream-video"]');
    if (!video || watched.has(video)) return;
    watched.add(video);
    video.requestVideoFrameCallback(() => {
      observer.disconnect();
      const seen = {
        at: Math.round(performance.now()),
        width: video.videoWidth,
        height: video.videoHeight,
        hasBeenActive: navigator.userActivation.hasBeenActive,
      };
      console.log(`onair-test: first frame ${JSON.stringify(seen)}`);
    });
  }).observe(document, { subtree: true, childList: true });
}

/**
 * A new viewer opens `shareUrl` and is left alone (every Playwright call into a page counts as a
 * user gesture): resolves to the viewer and what its page said at its first frame
 * (`{at, width, height, hasBeenActive}`).
 */
export async function openViewerUntouched(shareUrl, { label } = {}) {
  const viewer = await newParticipant(label || 'viewer-untouched');
  await viewer.context.addInitScript(reportFirstFrame);
  const shown = viewer.page.waitForEvent('console', {
    predicate: (message) => message.text().startsWith(FIRST_FRAME_SHOWN),
    timeout: MEDIA_WAIT,
  });
  await viewer.page.goto(shareUrl);
  const message = await shown;
  return { viewer, firstFrame: JSON.parse(message.text().slice(FIRST_FRAME_SHOWN.length)) };
}

/**
 * On a viewer page: opens the name prompt (`change-name`), types `name` into
 * `viewer-name-input`, clicks `join-stream` and waits until the prompt has closed.
 */
export async function chooseName(page, name) {
  await page.locator(tid('change-name')).click({ timeout: MEDIA_WAIT });
  await answerNamePrompt(page, name);
}

/** The name prompt is open: types `name`, clicks `join-stream`, waits until it closed. */
export async function answerNamePrompt(page, name) {
  const input = page.locator(tid('viewer-name-input'));
  await input.waitFor({ timeout: WAIT });
  await input.fill(name);
  await page.locator(tid('join-stream')).click();
  await input.waitFor({ state: 'detached', timeout: WAIT });
}

/** The app throttles chat sends (one a second); people type slower than that anyway. */
const CHAT_INTERVAL_MS = 1_200;
const lastChatAt = new WeakMap();

/**
 * Types `text` into `chat-input` and clicks `chat-send`, at most one message per
 * {@link CHAT_INTERVAL_MS} from a page, then waits until the app took it (the input clears).
 */
export async function sendChat(page, text) {
  const wait = (lastChatAt.get(page) ?? 0) + CHAT_INTERVAL_MS - Date.now();
  if (wait > 0) await sleep(wait);
  const input = page.locator(tid('chat-input'));
  await input.fill(text);
  await page.locator(tid('chat-send')).click();
  lastChatAt.set(page, Date.now());
  await page.waitForFunction((sel) => document.querySelector(sel)?.value === '', tid('chat-input'), {
    timeout: WAIT,
  });
}

/** A message went out from `page` by other means than {@link sendChat} (after the name prompt). */
export function chatWasSent(page) {
  lastChatAt.set(page, Date.now());
}

/** The textContent of every `chat-message`, in page order. */
export async function chatMessages(page) {
  return page.evaluate(
    (sel) => [...document.querySelectorAll(sel)].map((m) => m.textContent),
    tid('chat-message'),
  );
}

/** Waits for a `chat-message` whose text holds both `name` and `text`. */
export async function waitForChat(page, { name, text }, { timeout = WAIT } = {}) {
  const deadline = Date.now() + timeout;
  let messages = [];
  while (Date.now() < deadline) {
    messages = await chatMessages(page).catch(() => []);
    if (messages.some((m) => m.includes(name) && m.includes(text))) return messages;
    await sleep(100);
  }
  throw new Error(
    `no chat-message from ${JSON.stringify(name)} saying ${JSON.stringify(text)} within ` +
      `${timeout} ms; messages: ${JSON.stringify(messages)}`,
  );
}

/**
 * Clicks the `remove-viewer` control of the `viewer-list` row that names `name` (the row is the
 * largest ancestor of a remove button that holds no other remove button).
 */
export async function removeViewer(page, name) {
  const index = await page.evaluate(
    ([listSel, buttonSel, who]) => {
      const list = document.querySelector(listSel);
      if (!list) return -2;
      const buttons = [...list.querySelectorAll(buttonSel)];
      return buttons.findIndex((button) => {
        let row = button;
        while (
          row.parentElement &&
          row.parentElement !== list &&
          row.parentElement.querySelectorAll(buttonSel).length === 1
        ) {
          row = row.parentElement;
        }
        const label = `${row.textContent} ${button.getAttribute('aria-label') || ''} ${button.title || ''}`;
        return label.includes(who);
      });
    },
    [tid('viewer-list'), tid('remove-viewer'), name],
  );
  if (index < 0) {
    const list = await textOf(page, 'viewer-list');
    throw new Error(`no remove-viewer for ${JSON.stringify(name)} in viewer-list (${JSON.stringify(list)})`);
  }
  await page.locator(`${tid('viewer-list')} ${tid('remove-viewer')}`).nth(index).click();
}

/** Decodes a JWT's payload (no verification: the claims are what we look at). */
export function jwtPayload(token) {
  const [, payload] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** LiveKit's current pid (the supervisor rewrites the file after each restart). */
export function livekitPid() {
  const file = process.env.ONAIR_E2E_LIVEKIT_PID_FILE;
  if (file) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid > 0) return pid;
  }
  const pid = Number(process.env.ONAIR_E2E_LIVEKIT_PID);
  if (!(pid > 0)) throw new Error('neither ONAIR_E2E_LIVEKIT_PID_FILE nor ONAIR_E2E_LIVEKIT_PID is set');
  return pid;
}

/** Waits until the supervisor has written a pid other than `oldPid` and returns it. */
export async function waitForNewLivekitPid(oldPid, { timeout = MEDIA_WAIT } = {}) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    try {
      const pid = livekitPid();
      if (pid !== oldPid) return pid;
    } catch {
      // Rewritten right now: read again.
    }
    await sleep(100);
  }
  throw new Error(`LiveKit was not restarted within ${timeout} ms (pid still ${oldPid})`);
}

/**
 * What the steps of one journey (a `describe` whose steps build on each other) share: `s` holds
 * what earlier steps set, and `need(t, ...keys)` skips the step `t` (and returns false) when an
 * earlier step failed to set one of those keys.
 */
export function journey() {
  const s = {};
  const need = (t, ...keys) => {
    const missing = keys.filter((k) => !s[k]);
    if (missing.length) {
      t.skip(`needs ${missing.join(', ')} from an earlier step`);
      return false;
    }
    return true;
  };
  return { s, need };
}

/**
 * Runs a journey step; when it fails, saves screenshots of every open browser first
 * (`failure-…png` in the screenshots folder) and rethrows.
 */
export async function step(t, fn) {
  try {
    return await fn();
  } catch (error) {
    await failureScreenshots(t.name);
    throw error;
  }
}
