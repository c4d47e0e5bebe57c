// The HLS broadcast from the studio, through the real LiveKit egress and SeaweedFS: Rosa is live
// and presses "Broadcast HLS"; the button says "HLS on", the stream says so to everyone
// (`hls.live`), and its live playlist lists 2 s segments that a browser downloads from OnAir. Pressing again stops it.
//
// Needs the recording stack of `cargo xtask e2e` / `cargo xtask test` (Redis, egress, SeaweedFS).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { closeAll, journey, openHostStudio, screenshot, sleep, step, tid } from './lib/helpers.mjs';

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
      Object.assign(s, { host: studio.page, roomId: studio.roomId });
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
