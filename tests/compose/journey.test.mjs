// The operator's deployment, for real: compose.yaml up with podman compose (Caddy's HTTPS in
// front of OnAir, LiveKit, the bucket; Redis, egress, ingress, SeaweedFS), and a browser that
// trusts Caddy's internal certificate authority, as a LAN's users would after importing it.
//
// Rosa opens https://onair.localhost, goes live; Victor watches and they chat; Rosa records and
// stops; anyone replays the recording (downloaded from the bucket through Caddy). The onair
// container restarts under Victor: he keeps watching, and a newcomer gets in once it is back.
// Then Rosa streams from OBS: ffmpeg pushes RTMP into the ingress's published port and a viewer
// decodes it. She ends the stream.
//
// Run by `cargo xtask compose-check`, which brings compose up and passes, besides the browser
// suite's own variables (ONAIR_E2E_URL is https://onair.localhost):
//   ONAIR_COMPOSE_PHASE         `journey`, or `after-down-up` (the recording is still listed)
//   ONAIR_COMPOSE_STATE         a JSON file the journey leaves for the second phase
//   ONAIR_COMPOSE_RTMP_HOST     where ffmpeg reaches the ingress's RTMP port (127.0.0.1)
//   ONAIR_COMPOSE_RESTART_ONAIR the command that restarts the onair container

import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';

import {
  BASE_URL,
  MEDIA_WAIT,
  closeAll,
  journey,
  newParticipant,
  openHostStudio,
  openViewer,
  screenshot,
  sendChat,
  sleep,
  step,
  tid,
  waitForChat,
  waitForPlaying,
  waitForStreamState,
} from '../browser/lib/helpers.mjs';
import { getStreamKey, rtmpEncoder } from '../browser/lib/obs.mjs';
import { startRecording, stopRecording } from '../browser/lib/recording.mjs';

const STEP = { timeout: 180_000 };
const PHASE = process.env.ONAIR_COMPOSE_PHASE || 'journey';
const STATE = process.env.ONAIR_COMPOSE_STATE;
const RTMP_HOST = process.env.ONAIR_COMPOSE_RTMP_HOST || '127.0.0.1';
/** How long the onair container may take to come back from `restart`. */
const BACK_WITHIN = 60_000;

/** Times of the journey, printed at the end for the operator's note. */
const timings = [];
function timed(t, what, since) {
  const ms = Date.now() - since;
  timings.push(`${what}: ${ms} ms`);
  t.diagnostic(`${what}: ${ms} ms`);
}

/**
 * `GET path` of OnAir, asked from `page` (Node resolves no `*.localhost` name and does not trust
 * Caddy's CA; the browser does both): `{status, body}`, or `{status: 0}` when nothing answered.
 */
async function getFrom(page, path) {
  return page.evaluate(async (url) => {
    try {
      const response = await fetch(url, { cache: 'no-store' });
      return { status: response.status, body: await response.text() };
    } catch {
      return { status: 0 };
    }
  }, `${BASE_URL}${path}`);
}

/** How many frames `page`'s stream video has decoded so far. */
async function framesDecoded(page) {
  return page.evaluate((sel) => {
    const video = document.querySelector(sel);
    return video ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
  }, tid('stream-video'));
}

/** The replay page of `roomId` plays its first recording. */
async function replayPlays(t, roomId, label) {
  const started = Date.now();
  const replay = await newParticipant(label);
  await replay.page.goto(`${BASE_URL}/recordings/${roomId}`);
  await replay.page.locator(tid('recording-item')).first().waitFor({ timeout: MEDIA_WAIT });
  const video = `${tid('recording-item')} video`;
  await replay.page.locator(video).first().evaluate((v) => v.play());
  await waitForPlaying(replay.page, { selector: video });
  const src = await replay.page.locator(video).first().evaluate((v) => v.currentSrc);
  assert.match(src, /^https:\/\/s3\.onair\.localhost\//, 'the MP4 comes from the bucket through Caddy');
  timed(t, `${label}: replay page opened → recording playing`, started);
  await screenshot(replay.page, `compose-${label}`);
  await replay.close();
}

if (PHASE === 'journey') {
  describe('an operator runs the compose file, and a stream goes through it end to end', () => {
    const { s, need } = journey();

    after(async () => {
      s.encoder?.ffmpeg.kill('SIGKILL');
      await closeAll();
      console.log(`compose journey timings:\n  ${timings.join('\n  ')}`);
    });

    it('over HTTPS, the host goes live and a viewer watches and chats', STEP, (t) =>
      step(t, async () => {
        assert.match(BASE_URL, /^https:\/\//);
        let since = Date.now();
        const studio = await openHostStudio({ hostName: 'Rosa Deploys', title: 'Behind Caddy', label: 'compose-host' });
        timed(t, 'home opened → host live', since);
        Object.assign(s, { host: studio.page, roomId: studio.roomId, shareUrl: studio.shareUrl });
        assert.match(s.shareUrl, /^https:\/\/onair\.localhost\/stream\//);
        await screenshot(s.host, 'compose-studio-https');
        since = Date.now();
        s.victor = await openViewer(s.shareUrl, 'Victor', { label: 'compose-viewer' });
        await waitForPlaying(s.victor.page);
        timed(t, 'share link opened → viewer playing', since);
        since = Date.now();
        await sendChat(s.victor.page, 'Hello through Caddy');
        await waitForChat(s.host, { name: 'Victor', text: 'Hello through Caddy' });
        timed(t, 'chat sent → shown in the studio', since);
        s.watching = true;
      }));

    it('the host records; the recording replays from the bucket through Caddy', STEP, (t) =>
      step(t, async () => {
        if (!need(t, 'host', 'watching')) return;
        let since = Date.now();
        await startRecording(s.host);
        timed(t, 'record clicked → recording', since);
        await sleep(5_000);
        since = Date.now();
        await stopRecording(s.host);
        timed(t, 'stop clicked → file saved', since);
        await replayPlays(t, s.roomId, 'replay');
        if (STATE) writeFileSync(STATE, JSON.stringify({ recordedRoomId: s.roomId }));
        s.recorded = true;
      }));

    it('the onair container restarts under a viewer, who keeps watching', STEP, (t) =>
      step(t, async () => {
        if (!need(t, 'host', 'watching')) return;
        const restart = process.env.ONAIR_COMPOSE_RESTART_ONAIR;
        assert.ok(restart, 'ONAIR_COMPOSE_RESTART_ONAIR is not set');
        const before = await framesDecoded(s.victor.page);
        const since = Date.now();
        execSync(restart, { stdio: 'inherit', timeout: BACK_WITHIN });
        while (true) {
          if ((await getFrom(s.host, '/readyz')).status === 200) break;
          assert.ok(Date.now() - since < BACK_WITHIN, `onair did not come back within ${BACK_WITHIN} ms`);
          await sleep(250);
        }
        timed(t, 'onair restart → ready again', since);
        // Media never went through onair: the viewer's picture went on all along.
        await sleep(2_000);
        const after = await framesDecoded(s.victor.page);
        assert.ok(after > before + 30, `the viewer's picture stalled: ${before} → ${after} frames`);
        await waitForStreamState(s.victor.page, 'live');
        await sendChat(s.host, 'Still here');
        await waitForChat(s.victor.page, { name: 'Rosa Deploys', text: 'Still here' });
        // And the token path is back: a newcomer gets in.
        const newcomer = await openViewer(s.shareUrl, null, { label: 'compose-newcomer' });
        await waitForPlaying(newcomer.page);
        await newcomer.close();
      }));

    it('OBS pushes RTMP into the published ingress port, and a viewer decodes it', STEP, (t) =>
      step(t, async () => {
        const studio = await openHostStudio({ hostName: 'Otto Obs', title: 'From OBS', label: 'compose-obs-host', live: false });
        const { url, key } = await getStreamKey(studio.page, 'rtmp');
        assert.match(url, /^rtmp:\/\/livekit\.onair\.localhost:1935\//, `the studio's RTMP URL: ${url}`);
        // ffmpeg does not resolve *.localhost names as browsers do: the same port, on this host.
        const target = `${url.replace('livekit.onair.localhost', RTMP_HOST)}/${key}`;
        const since = Date.now();
        s.encoder = rtmpEncoder(target);
        const sam = await openViewer(studio.shareUrl, 'Sam', { label: 'compose-obs-viewer' });
        await waitForStreamState(sam.page, 'live', { timeout: MEDIA_WAIT });
        const playing = await waitForPlaying(sam.page);
        timed(t, 'ffmpeg started → viewer decodes the RTMP stream', since);
        assert.ok(playing.width >= 320, `a real picture: ${playing.width}x${playing.height}; ffmpeg: ${s.encoder.log()}`);
        s.encoder.ffmpeg.kill('SIGKILL');
        s.encoder = null;
      }));

    it('the host ends the stream and the viewer is told', STEP, (t) =>
      step(t, async () => {
        if (!need(t, 'host', 'watching')) return;
        await s.host.locator(tid('end-stream')).click();
        await s.host.locator(tid('confirm-end-stream')).click();
        await waitForStreamState(s.victor.page, 'ended');
      }));
  });
} else {
  describe('after `compose down` and `up` again, the volumes kept what was recorded', () => {
    after(closeAll);

    it('the recording is still listed and plays', STEP, (t) =>
      step(t, async () => {
        assert.ok(STATE, 'ONAIR_COMPOSE_STATE is not set');
        const { recordedRoomId } = JSON.parse(readFileSync(STATE, 'utf8'));
        const asker = await newParticipant('compose-asker');
        await asker.page.goto(`${BASE_URL}/`);
        const listed = await getFrom(asker.page, `/api/recordings/${recordedRoomId}`);
        assert.equal(listed.status, 200, JSON.stringify(listed));
        assert.ok(JSON.parse(listed.body).recordings?.length >= 1, `listed: ${listed.body}`);
        await replayPlays(t, recordedRoomId, 'replay-after-down-up');
      }));
  });
}
