// The HLS broadcast from the studio, through the real LiveKit egress and SeaweedFS: Rosa is live
// and presses "Broadcast HLS"; the button says "HLS on", the stream says so to everyone
// (`hls.live`), and its live playlist lists 2 s segments that a browser downloads from OnAir.
// Omar opens the link with `?hls`: hls.js plays the broadcast in "Broadcast mode", a few seconds
// behind, while his chat and reactions reach Rosa at once over the room he joined without
// media. Pressing "HLS on" again stops the broadcast.
//
// Needs the recording stack of `cargo xtask e2e` / `cargo xtask test` (Redis, egress, SeaweedFS).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import {
  PHONE,
  WAIT,
  chooseName,
  closeAll,
  journey,
  newParticipant,
  openHostStudio,
  screenshot,
  sendChat,
  sleep,
  step,
  tid,
  waitForChat,
  waitForPlaying,
  waitForStreamState,
} from './lib/helpers.mjs';

const STEP = { timeout: 150_000 };
/** Egress starts its compositor (Chromium), then writes the first 2 s segment. */
const FIRST_SEGMENT_WITHIN = 60_000;

/** What the stream says of its broadcast, and its live playlist, asked from `page`. */
async function broadcast(page, roomId) {
  return page.evaluate(async (id) => {
    const room = await (await fetch(`/api/rooms/${id}`)).json();
    const playlist = await fetch(`/hls/${id}/live.m3u8`);
    return { hls: room.hls, playlistStatus: playlist.status, playlist: playlist.ok ? await playlist.text() : '' };
  }, roomId);
}

describe('a live host broadcasts over HLS from the studio', () => {
  const { s, need } = journey();

  after(closeAll);

  it('"Broadcast HLS" starts the broadcast, and its segments download', STEP, (t) =>
    step(t, async () => {
      const studio = await openHostStudio({ hostName: 'Rosa Broadcasts', title: 'For the crowd', label: 'host-hls' });
      Object.assign(s, { host: studio.page, roomId: studio.roomId, shareUrl: studio.shareUrl });
      const toggle = s.host.locator(tid('hls-toggle'));
      assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
      const pressed = Date.now();
      await toggle.click();
      await s.host.locator(`${tid('hls-toggle')}[aria-pressed="true"]`).waitFor({ timeout: 30_000 });
      assert.match(await toggle.textContent(), /HLS on/);
      let state;
      while (true) {
        state = await broadcast(s.host, s.roomId);
        if (state.playlist.includes('.ts')) break;
        assert.ok(Date.now() - pressed < FIRST_SEGMENT_WITHIN, `no segment listed yet: ${JSON.stringify(state)}`);
        await sleep(250);
      }
      t.diagnostic(`"Broadcast HLS" → first segment listed: ${Date.now() - pressed} ms`);
      assert.equal(state.hls.live, true);
      assert.equal(state.hls.playlistUrl, `/hls/${s.roomId}/live.m3u8`);
      const segment = state.playlist.split('\n').filter((line) => line && !line.startsWith('#')).pop();
      const size = await s.host.evaluate(async (url) => (await (await fetch(url)).arrayBuffer()).byteLength, segment);
      assert.ok(size > 1000, `a segment of ${size} bytes`);
      await screenshot(s.host, 'studio-hls-on');
      s.broadcasting = true;
    }));

  it('a viewer opening the link with ?hls watches the broadcast, and chats and reacts live', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'broadcasting')) return;
      const omar = await newParticipant('viewer-hls', { viewport: PHONE });
      const opened = Date.now();
      await omar.page.goto(`${s.shareUrl}?hls`);
      await omar.page.locator(tid('hls-badge')).waitFor({ timeout: WAIT });
      assert.match(await omar.page.locator(tid('hls-badge')).textContent(), /Broadcast mode \(a few seconds behind\)/);
      const video = `${tid('stream-video')}[data-playback="hls"]`;
      await waitForPlaying(omar.page, { selector: video, timeout: 60_000 });
      t.diagnostic(`?hls opened → broadcast playing: ${Date.now() - opened} ms`);
      await waitForStreamState(omar.page, 'live');
      // LiveKit sends him no media: he joined the room for its chat and reactions only.
      const received = await omar.page.evaluate(async () => {
        const videos = [...document.querySelectorAll('video')];
        return videos.filter((v) => v.srcObject).length;
      });
      assert.equal(received, 0, 'a WebRTC picture in broadcast mode');
      // How far behind Rosa's clock the picture is: now minus the wall-clock time egress wrote
      // for the frame on screen (#EXT-X-PROGRAM-DATE-TIME), sampled over a few seconds.
      const delays = [];
      for (let i = 0; i < 10; i += 1) {
        const delay = await omar.page.locator(video).getAttribute('data-delay-seconds');
        if (delay) delays.push(Number(delay));
        await sleep(500);
      }
      assert.ok(delays.length > 0, 'the player never said how far behind it is');
      const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
      t.diagnostic(`HLS delay behind the egress clock: mean ${mean.toFixed(2)} s, min ${Math.min(...delays).toFixed(2)} s, max ${Math.max(...delays).toFixed(2)} s`);
      await screenshot(omar.page, 'viewer-hls-phone');

      await chooseName(omar.page, 'Omar');
      await sendChat(omar.page, 'Watching the broadcast!');
      await waitForChat(s.host, { name: 'Omar', text: 'Watching the broadcast!' });
      await omar.page.locator(`${tid('reaction-button')}[data-emoji="🔥"]`).click();
      await s.host.locator('[data-testid="reaction"]', { hasText: '🔥' }).first().waitFor({ timeout: WAIT });
      await sendChat(s.host, 'Hello Omar');
      await waitForChat(omar.page, { name: 'Rosa Broadcasts', text: 'Hello Omar' });
    }));

  it('pressing it again stops the broadcast', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'broadcasting')) return;
      await s.host.locator(tid('hls-toggle')).click();
      await s.host.locator(`${tid('hls-toggle')}[aria-pressed="false"]`).waitFor({ timeout: 30_000 });
      const deadline = Date.now() + 15_000;
      while ((await broadcast(s.host, s.roomId)).playlistStatus !== 404) {
        assert.ok(Date.now() < deadline, 'the live playlist is still served after HLS was turned off');
        await sleep(250);
      }
    }));
});
