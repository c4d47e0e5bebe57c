// Recording, on the real LiveKit egress worker: Rosa records part of her stream while Victor
// watches (he sees the REC badge), then anyone with the link replays it; when she ends the
// stream, Victor is offered the recording. Then the recorder dies in the middle of a recording:
// the studio says the recording failed and offers to record again, Victor's REC badge goes
// away, and the next recording works.
//
// Needs the recording stack of `cargo xtask e2e` / `cargo xtask test` (Redis, egress, SeaweedFS);
// `ONAIR_E2E_EGRESS_PID_FILE` names the egress worker's pid (its process group holds egress,
// its Chromium and Xvfb, and a supervisor in xtask restarts it when it dies).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';

import {
  BASE_URL,
  MEDIA_WAIT,
  WAIT,
  closeAll,
  journey,
  newParticipant,
  openHostStudio,
  openViewer,
  screenshot,
  sleep,
  step,
  textOf,
  tid,
  waitForPlaying,
  waitForStreamState,
  waitForText,
} from './lib/helpers.mjs';
import {
  RECORDING_STARTS,
  assertHostRecording,
  startRecording,
  stopRecording,
  studioNotes,
  waitForPresence,
  waitForRecordButton,
} from './lib/recording.mjs';

const STEP = { timeout: 120_000 };
/**
 * From the kill to the studio saying the recording failed. OnAir judges a recording failed once
 * its recorder's participant has left the room, and livekit-server drops a participant whose
 * process died only when its ICE connection times out: about 25 s after the kill on the
 * reference machine (the target is 30 s; the measured times are printed).
 */
const FAILURE_SHOWN = 45_000;
/** From the server's verdict to the studio showing it (it checks every 3 s). */
const STUDIO_FOLLOWS = 8_000;
/** …and to the viewer's REC badge going off (every 5 s, plus the server's 2 s room cache). */
const VIEWER_FOLLOWS = 12_000;
/** How long Rosa records before she stops. */
const RECORD_FOR_MS = 5_000;

/** The egress worker's pid (the leader of its process group), as xtask's supervisor wrote it. */
function egressPid() {
  const file = process.env.ONAIR_E2E_EGRESS_PID_FILE;
  if (!file) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return pid > 0 ? pid : null;
}

/**
 * Watches `GET /api/rooms/:roomId` (as anyone may) until it says the stream is not being
 * recorded: `done` resolves to that moment (or null after `timeout` ms).
 */
function watchServerVerdict(roomId, timeout) {
  let at = null;
  let last = null;
  const done = (async () => {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${BASE_URL}/api/rooms/${roomId}`);
        last = { status: res.status, ...(res.ok ? await res.json() : {}) };
        if (res.ok && last.isRecording === false) {
          at = Date.now();
          return at;
        }
      } catch (error) {
        last = { error: String(error) };
      }
      await sleep(250);
    }
    return null;
  })();
  return {
    done,
    describe: (since) =>
      at
        ? `the server said "not recording" ${at - since} ms after the kill`
        : `the server still says ${JSON.stringify({ isRecording: last?.isRecording, recording: last?.recording, status: last?.status })}`,
  };
}

describe('the host records the stream, everyone can replay it', () => {
  const { s, need } = journey();

  after(closeAll);

  it('the host goes live and a viewer watches', STEP, (t) =>
    step(t, async () => {
      const studio = await openHostStudio({ hostName: 'Rosa Records', title: 'Recorded session', label: 'host-rec' });
      Object.assign(s, { host: studio.host, roomId: studio.roomId, shareUrl: studio.shareUrl });
      s.viewer = await openViewer(s.shareUrl, 'Victor Viewer', { label: 'viewer-rec' });
      await waitForStreamState(s.viewer.page, 'live');
      await waitForPlaying(s.viewer.page);
      assert.equal(await textOf(s.viewer.page, 'recording-indicator'), null, 'no REC badge before recording');
    }));

  it('the host records: the viewer sees REC, the studio its red dot and running time', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'viewer')) return;
      const host = s.host.page;
      const started = Date.now();
      await startRecording(host);
      t.diagnostic(`the studio shows the red dot ${Date.now() - started} ms after the click`);
      await assertHostRecording(host);
      await waitForPresence(s.viewer.page, 'recording-indicator', {
        timeout: RECORDING_STARTS,
        what: "the viewer's REC badge",
      });
      assert.match(await textOf(s.viewer.page, 'recording-indicator'), /REC/);
      s.recording = true;
      await screenshot(host, 'host-recording');
      await screenshot(s.viewer.page, 'viewer-recording');
    }));

  it('after a few seconds the host stops, and the studio links to the saved recording', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'recording')) return;
      const host = s.host.page;
      await sleep(RECORD_FOR_MS);
      const stopped = Date.now();
      await stopRecording(host);
      t.diagnostic(`saved ${Date.now() - stopped} ms after the stop`);
      const href = await host.locator(tid('recording-link')).getAttribute('href');
      assert.equal(new URL(href, BASE_URL).pathname, `/recordings/${s.roomId}`);
      await waitForRecordButton(host);
      if (s.viewer) {
        await waitForPresence(s.viewer.page, 'recording-indicator', {
          gone: true,
          timeout: FAILURE_SHOWN,
          what: "the viewer's REC badge to go off",
        });
      }
      s.saved = true;
    }));

  it('anyone with the link replays the recording in the browser', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'saved', 'roomId')) return;
      s.replay = await newParticipant('replay');
      const { page } = s.replay;
      await page.goto(`${BASE_URL}/recordings/${s.roomId}`);
      await page.locator(tid('recording-item')).first().waitFor({ timeout: MEDIA_WAIT });
      const items = await page.locator(tid('recording-item')).count();
      assert.ok(items >= 1, `the replay page lists ${items} recording(s)`);
      const video = `${tid('recording-item')} video`;
      await page.locator(video).first().waitFor({ timeout: MEDIA_WAIT });
      const started = await page.evaluate(async (sel) => {
        const v = document.querySelector(sel);
        v.muted = true;
        try {
          await v.play();
          return 'playing';
        } catch (error) {
          return `play() refused: ${error.name}: ${error.message} (media error ${v.error?.code ?? 'none'})`;
        }
      }, video);
      assert.equal(started, 'playing', `the recording plays (${started})`);
      let last = null;
      const deadline = Date.now() + MEDIA_WAIT;
      while (Date.now() < deadline) {
        last = await page.evaluate((sel) => {
          const v = document.querySelector(sel);
          return {
            currentTime: v.currentTime,
            duration: v.duration,
            width: v.videoWidth,
            height: v.videoHeight,
            error: v.error?.code ?? null,
          };
        }, video);
        if (last.currentTime > 1 || last.error) break;
        await sleep(250);
      }
      t.diagnostic(`replay: ${JSON.stringify(last)}`);
      assert.equal(last.error, null, `the browser could not decode the recording: ${JSON.stringify(last)}`);
      assert.ok(last.currentTime > 1, `the recording's currentTime advances past 1 s: ${JSON.stringify(last)}`);
      assert.ok(last.width > 0 && last.height > 0, `the recording has a picture: ${JSON.stringify(last)}`);
      assert.ok(last.duration >= 3, `the recording lasts about ${RECORD_FOR_MS / 1000} s: ${JSON.stringify(last)}`);
      await page.evaluate((sel) => document.querySelector(sel).pause(), video);
      await screenshot(page, 'recordings');

      // The recording broadcast the stream too: its event playlist is a second format, played
      // by hls.js from its first segment, and seekable at once.
      const hlsChoice = page.locator(tid('replay-hls')).first();
      await hlsChoice.click({ timeout: WAIT });
      const hlsVideo = `${tid('replay-video')}[data-format="hls"]`;
      const chosen = Date.now();
      await waitForPlaying(page, { selector: hlsVideo });
      t.diagnostic(`HLS replay: playing ${Date.now() - chosen} ms after the tap`);
      const seeked = await page.evaluate(async (sel) => {
        const v = document.querySelector(sel);
        v.currentTime = Math.max(0, v.duration - 1.5);
        await new Promise((resolve) => v.addEventListener('seeked', resolve, { once: true }));
        return { currentTime: v.currentTime, duration: v.duration };
      }, hlsVideo);
      assert.ok(seeked.duration >= 3 && seeked.currentTime >= seeked.duration - 2, `the HLS replay seeks: ${JSON.stringify(seeked)}`);
      await screenshot(page, 'recordings-hls');
      await s.replay.close();
    }));

  it('the host ends the stream; the viewer is offered the recording', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'viewer')) return;
      const host = s.host.page;
      await host.locator(tid('end-stream')).click();
      await host.locator(tid('confirm-end-stream')).click();
      const viewer = s.viewer.page;
      await waitForStreamState(viewer, 'ended', { timeout: MEDIA_WAIT });
      if (!s.saved) return;
      await waitForPresence(viewer, 'recording-link', {
        timeout: 30_000,
        what: 'the ended stream to offer its recording (recording-link)',
      });
      const href = await viewer.locator(tid('recording-link')).getAttribute('href');
      assert.equal(new URL(href, BASE_URL).pathname, `/recordings/${s.roomId}`);
      await screenshot(viewer, 'viewer-ended-recording');
    }));
});

describe('the recorder dies mid-recording: the studio says so, and recording works again', () => {
  const { s, need } = journey();

  after(closeAll);

  it('the host records while a viewer watches', STEP, (t) =>
    step(t, async () => {
      if (!process.env.ONAIR_E2E_EGRESS_PID_FILE) {
        t.skip('ONAIR_E2E_EGRESS_PID_FILE is not set: no egress worker to kill');
        return;
      }
      const studio = await openHostStudio({ hostName: 'Kim Unlucky', label: 'host-kill' });
      Object.assign(s, { host: studio.host, roomId: studio.roomId });
      s.viewer = await openViewer(studio.shareUrl, 'Walt Watcher', { label: 'viewer-kill' });
      await waitForStreamState(s.viewer.page, 'live');
      await startRecording(s.host.page);
      await assertHostRecording(s.host.page);
      await waitForPresence(s.viewer.page, 'recording-indicator', {
        timeout: RECORDING_STARTS,
        what: "the viewer's REC badge",
      });
      s.recording = true;
    }));

  it('the egress worker is killed: the studio says the recording failed, and REC is gone', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'viewer', 'recording', 'roomId')) return;
      const host = s.host.page;
      const pid = egressPid();
      assert.ok(pid, 'ONAIR_E2E_EGRESS_PID_FILE holds the egress pid');
      t.diagnostic(`killing the egress worker's process group (pid ${pid}) with SIGKILL`);
      const killedAt = Date.now();
      process.kill(-pid, 'SIGKILL');
      s.killedPid = pid;
      const verdict = watchServerVerdict(s.roomId, FAILURE_SHOWN + VIEWER_FOLLOWS);
      const since = () => `${Date.now() - killedAt} ms after the kill`;

      const failed = host.getByText(/The recording failed/);
      try {
        await failed.waitFor({ state: 'visible', timeout: FAILURE_SHOWN });
      } catch (error) {
        throw new Error(
          `no "The recording failed" in the studio ${since()}; ${await studioNotes(host)}; record-toggle reads ` +
            `${JSON.stringify(await textOf(host, 'record-toggle'))}; ${verdict.describe(killedAt)}`,
          { cause: error },
        );
      }
      const studioAt = Date.now();
      t.diagnostic(`the studio said ${JSON.stringify(await failed.first().textContent())} ${since()}`);
      await waitForRecordButton(host, { timeout: 5_000 });
      assert.equal(await textOf(host, 'recording-indicator'), null, 'the studio red dot is off');
      await waitForPresence(s.viewer.page, 'recording-indicator', {
        gone: true,
        timeout: Math.max(killedAt + FAILURE_SHOWN + VIEWER_FOLLOWS - Date.now(), 1_000),
        what: () => `the viewer's REC badge to go off (${verdict.describe(killedAt)})`,
      });
      const viewerAt = Date.now();
      const serverAt = await verdict.done;
      assert.ok(serverAt, `GET /api/rooms/:roomId says "not recording" too (${verdict.describe(killedAt)})`);
      t.diagnostic(
        `after the kill: the server said "not recording" at ${serverAt - killedAt} ms, the studio said ` +
          `"failed" at ${studioAt - killedAt} ms, the viewer's REC went off at ${viewerAt - killedAt} ms`,
      );
      assert.ok(
        studioAt - serverAt <= STUDIO_FOLLOWS,
        `the studio follows the server's verdict within ${STUDIO_FOLLOWS} ms (${studioAt - serverAt} ms)`,
      );
      assert.ok(
        viewerAt - serverAt <= VIEWER_FOLLOWS,
        `the viewer follows the server's verdict within ${VIEWER_FOLLOWS} ms (${viewerAt - serverAt} ms)`,
      );
      await screenshot(host, 'host-recording-failed');
      s.failedShown = true;
    }));

  it('the host records again once the worker is back: REC shows again, and the recording is saved', { timeout: 240_000 }, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'viewer', 'failedShown')) return;
      const host = s.host.page;
      // xtask's supervisor restarts the worker; it then registers with LiveKit.
      const deadline = Date.now() + MEDIA_WAIT;
      while (egressPid() === s.killedPid && Date.now() < deadline) await sleep(250);
      assert.notEqual(egressPid(), s.killedPid, `the egress worker was restarted within ${MEDIA_WAIT} ms`);
      const attempts = await startRecording(host, { timeout: 90_000 });
      t.diagnostic(`recording again after ${attempts} click(s)`);
      await assertHostRecording(host);
      await waitForPresence(s.viewer.page, 'recording-indicator', {
        timeout: RECORDING_STARTS,
        what: "the viewer's REC badge to show again",
      });
      assert.equal(
        await host.evaluate(() => document.querySelector('.record-message')?.textContent ?? null),
        null,
        'the failure message is gone once recording works again',
      );
      await sleep(3_000);
      await stopRecording(host);
    }));
});
