// Restreaming from the studio, through the real LiveKit egress: Rosa is live and sends her show
// on to an RTMP server (ffmpeg listening on loopback, as YouTube would); the studio says
// "· live" and ffmpeg writes what it receives. A destination where nothing listens shows
// "failed" within 30 s while the first goes on. The keys never show again; removing both stops
// the restream.
//
// Needs the recording stack of `cargo xtask e2e` / `cargo xtask test` (Redis, egress, SeaweedFS).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { MEDIA_WAIT, WAIT, closeAll, journey, openHostStudio, screenshot, sleep, step, tid } from './lib/helpers.mjs';

const STEP = { timeout: 150_000 };
/** The bound: a refusing destination shows failed in the studio within 30 s. */
const FAILS_WITHIN = 30_000;
/** Egress starts a compositor (Chromium) for the first destination: seconds on two cores. */
const GOES_LIVE_WITHIN = 60_000;

/** A loopback TCP port nothing listens on (yet). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something listens on loopback `port` (the kernel's table: a probe would be taken). */
function listening(port) {
  const wanted = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const columns = line.trim().split(/\s+/);
      return columns[1]?.endsWith(wanted) && columns[3] === '0A';
    });
}

/** An RTMP server as a platform runs one: `ffmpeg -listen 1` keeping what it receives. */
async function rtmpReceiver() {
  const port = await freePort();
  const file = path.join(tmpdir(), `onair-e2e-restream-${process.pid}.flv`);
  rmSync(file, { force: true });
  const ffmpeg = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/receiver-key`,
      '-t', '600', '-c', 'copy', '-y', file],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  ffmpeg.stderr.on('data', (chunk) => {
    log = (log + chunk).slice(-4000);
  });
  const deadline = Date.now() + 10_000;
  while (!listening(port)) {
    assert.ok(Date.now() < deadline, `ffmpeg did not listen on ${port}: ${log}`);
    await sleep(100);
  }
  const received = () => existsSync(file) && statSync(file).size > 0;
  return { url: `rtmp://127.0.0.1:${port}/live`, key: 'receiver-key', ffmpeg, file, received, log: () => log };
}

/** The studio's destination rows, each as its status text. */
async function statuses(page) {
  return page.locator(tid('destination-status')).allTextContents();
}

/** Waits until a destination row's status matches `pattern`; returns how long that took. */
async function waitForStatus(page, pattern, timeout, what) {
  const started = Date.now();
  while (Date.now() - started < timeout) {
    if ((await statuses(page)).some((text) => pattern.test(text))) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`waited ${timeout} ms for ${what}; the studio shows ${JSON.stringify(await statuses(page))}`);
}

/** Waits until the rows' status texts pass `test`. */
async function waitForRows(page, test, what) {
  const deadline = Date.now() + WAIT;
  while (!test(await statuses(page))) {
    assert.ok(Date.now() < deadline, `waited for ${what}; the studio shows ${JSON.stringify(await statuses(page))}`);
    await sleep(100);
  }
}

/** Types a destination into the studio's form and adds it. */
async function addDestination(page, url, key) {
  await page.locator(tid('destination-url')).fill(url);
  await page.locator(tid('destination-key')).fill(key);
  await page.locator(tid('destination-add')).click();
}

describe('a live host restreams to other platforms from the studio', () => {
  const { s, need } = journey();

  after(async () => {
    s.receiver?.ffmpeg.kill('SIGKILL');
    if (s.receiver) rmSync(s.receiver.file, { force: true });
    await closeAll();
  });

  it('the studio checks a destination before sending it', STEP, (t) =>
    step(t, async () => {
      const studio = await openHostStudio({ hostName: 'Rosa Restreams', title: 'Everywhere at once', label: 'host-restream' });
      s.host = studio.page;
      const key = s.host.locator(tid('destination-key'));
      assert.equal(await key.getAttribute('type'), 'password', 'the stream key is typed hidden');
      // A preset fills the platform's server URL.
      await s.host.getByRole('button', { name: 'YouTube' }).click();
      assert.equal(await s.host.locator(tid('destination-url')).inputValue(), 'rtmp://a.rtmp.youtube.com/live2');
      await addDestination(s.host, 'http://example.com/live', 'abcd-1234');
      await s.host.locator('.restream .field-error', { hasText: /rtmp:\/\// }).waitFor({ timeout: WAIT });
      assert.deepEqual(await statuses(s.host), [], 'nothing was added');
      await s.host.locator(tid('destination-url')).fill('');
      await screenshot(s.host, 'studio-restream-empty');
    }));

  it('a destination goes live and its server receives the show', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host')) return;
      s.receiver = await rtmpReceiver();
      const added = Date.now();
      await addDestination(s.host, s.receiver.url, s.receiver.key);
      const live = await waitForStatus(s.host, /^127\.0\.0\.1 · live$/, GOES_LIVE_WITHIN, 'the destination to show live');
      const deadline = Date.now() + MEDIA_WAIT;
      while (!s.receiver.received()) {
        assert.ok(Date.now() < deadline, `ffmpeg received nothing: ${s.receiver.log()}`);
        await sleep(100);
      }
      t.diagnostic(`add → studio shows live: ${live} ms; add → ffmpeg's first bytes: ${Date.now() - added} ms`);
      // The key went to the server and is gone from the page.
      assert.equal(await s.host.locator(tid('destination-key')).inputValue(), '');
      assert.ok(!(await s.host.content()).includes(s.receiver.key), 'the stream key is still on the page');
      s.sending = true;
    }));

  it('a destination where nothing listens fails within 30 s and the other goes on', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'sending')) return;
      await addDestination(s.host, `rtmp://127.0.0.1:${await freePort()}/live`, 'nobody-listens');
      const failed = await waitForStatus(s.host, /· failed/, FAILS_WITHIN, 'the refusing destination to show failed');
      t.diagnostic(`add → studio shows the refusing destination failed: ${failed} ms`);
      const shown = await statuses(s.host);
      assert.equal(shown.filter((text) => /· live$/.test(text)).length, 1, `the first goes on: ${JSON.stringify(shown)}`);
      await screenshot(s.host, 'studio-restreaming');
      s.failed = true;
    }));

  it('removing one stops sending there, and removing the last ends the restream', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'failed')) return;
      const receiverEnded = new Promise((resolve) => s.receiver.ffmpeg.on('exit', () => resolve(true)));
      await s.host.locator('.destination', { hasText: '· live' }).locator(tid('destination-remove')).click();
      await waitForRows(s.host, (shown) => shown.length === 1 && /· failed/.test(shown[0]), 'the failed one alone');
      const ended = await Promise.race([receiverEnded, sleep(30_000).then(() => false)]);
      assert.ok(ended, 'ffmpeg still receives 30 s after its destination was removed');
      await s.host.locator(tid('destination-remove')).click();
      await waitForRows(s.host, (shown) => shown.length === 0, 'no destination');
    }));
});
