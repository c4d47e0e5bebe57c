// Streaming from OBS through the real LiveKit ingress: Rosa opens her studio and asks for a
// stream key; an encoder sends what OBS sends (ffmpeg: H.264 + AAC over RTMP), and Sam, a
// viewer, watches it like a browser camera, with the picture moving. Rosa deletes the key and
// the encoder is cut off. Then the same with WHIP, from a browser as the encoder.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import {
  MEDIA_WAIT,
  WAIT,
  closeAll,
  journey,
  openHostStudio,
  openViewer,
  screenshot,
  step,
  tid,
  waitForPlaying,
  waitForStreamState,
  waitForText,
} from './lib/helpers.mjs';
import { getStreamKey, rtmpEncoder } from './lib/obs.mjs';
import { openSdkPage } from './lib/sdk-page.mjs';

const STEP = { timeout: 150_000 };

/** A browser as a WHIP encoder: its fake camera and microphone, sent to `url`/`key`. */
async function whipEncoder(url, key) {
  const sdk = await openSdkPage('whip-encoder');
  const status = await sdk.page.evaluate(
    async ({ endpoint }) => {
      const media = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
      const pc = new RTCPeerConnection();
      for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        setTimeout(resolve, 3_000);
      });
      const answer = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: pc.localDescription.sdp,
      });
      if (!answer.ok) return `WHIP answered ${answer.status}: ${await answer.text()}`;
      await pc.setRemoteDescription({ type: 'answer', sdp: await answer.text() });
      window.__whip = pc;
      return 'sending';
    },
    { endpoint: `${url.replace(/\/+$/, '')}/${key}` },
  );
  assert.equal(status, 'sending');
  return sdk;
}

describe('a streamer goes live from OBS', () => {
  const { s, need } = journey();

  after(async () => {
    s.encoder?.ffmpeg.kill('SIGKILL');
    await s.whip?.close();
    await closeAll();
  });

  it('the studio gives the host an RTMP server URL and a hidden stream key', STEP, (t) =>
    step(t, async () => {
      const studio = await openHostStudio({ hostName: 'Rosa Records', title: 'Live from OBS', label: 'host-obs', live: false });
      Object.assign(s, { host: studio.page, shareUrl: studio.shareUrl });
      const { url, key } = await getStreamKey(s.host, 'rtmp');
      assert.match(url, /^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
      assert.ok(key.length >= 8);
      // Each has a copy button that puts it on the clipboard, the hidden key too.
      for (const [id, value] of [['ingress-url', url], ['ingress-key', key]]) {
        await s.host.evaluate(() => navigator.clipboard.writeText('nothing yet'));
        await s.host.locator(tid(`copy-${id}`)).click();
        const deadline = Date.now() + WAIT;
        while ((await s.host.evaluate(() => navigator.clipboard.readText())) !== value) {
          assert.ok(Date.now() < deadline, `the ${id} copy button did not put it on the clipboard`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await screenshot(s.host, 'studio-obs-key');
      Object.assign(s, { rtmp: `${url}/${key}` });
    }));

  it('ffmpeg sends RTMP as OBS does, and a viewer watches it like the camera', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'rtmp')) return;
      s.encoder = rtmpEncoder(s.rtmp);
      s.sam = await openViewer(s.shareUrl, 'Sam Sees', { label: 'viewer-sam-obs' });
      await waitForStreamState(s.sam.page, 'live', { timeout: MEDIA_WAIT });
      const playing = await waitForPlaying(s.sam.page);
      t.diagnostic(`the viewer plays OBS: ${playing.width}x${playing.height}, ${playing.frames} frames`);
      assert.ok(playing.width >= 320, `a real picture: ${playing.width}x${playing.height}`);
      // The studio shows what viewers see.
      await waitForText(s.host, 'connection-status', /live \(obs\)/i, { what: 'the studio to say OBS is live' });
      await waitForPlaying(s.host, { selector: tid('local-video') });
      await screenshot(s.sam.page, 'viewer-watching-obs');
      await screenshot(s.host, 'studio-live-from-obs');
      s.watching = true;
    }));

  it('deleting the key cuts the encoder off', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'encoder', 'watching')) return;
      await s.host.locator(tid('delete-ingress')).click();
      await s.host.locator(tid('stream-from-obs')).waitFor({ timeout: WAIT });
      const ended = await Promise.race([
        s.encoder.exited,
        new Promise((resolve) => setTimeout(() => resolve(null), 30_000)),
      ]);
      assert.ok(ended, `ffmpeg still sends 30 s after the key was deleted:\n${s.encoder.log()}`);
      await waitForStreamState(s.sam.page, 'waiting', { timeout: MEDIA_WAIT });
    }));

  it('a WHIP encoder works the same way', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'sam')) return;
      const { url, key } = await getStreamKey(s.host, 'whip');
      assert.match(url, /^https?:\/\//);
      s.whip = await whipEncoder(url, key);
      await waitForStreamState(s.sam.page, 'live', { timeout: MEDIA_WAIT });
      const playing = await waitForPlaying(s.sam.page);
      t.diagnostic(`the viewer plays the WHIP encoder: ${playing.width}x${playing.height}`);
    }));
});
