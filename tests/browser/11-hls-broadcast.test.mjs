// The HLS broadcast from the studio, through the real LiveKit egress and SeaweedFS: Rosa is live
// and presses "Broadcast HLS"; the button says "HLS on", the stream says so to everyone
// (`hls.live`), and its live playlist lists 2 s segments that a browser downloads from OnAir.
// Omar opens the link with `?hls`: hls.js plays the broadcast in "Broadcast mode", a few seconds
// behind, while his chat and reactions reach Rosa at once over the room he joined without
// media. Rosa records, then stops: the recording's egress takes the broadcast over and hands it
// back, and Omar's picture plays on through both changes. Invited on stage, Omar leaves the
// broadcast for the live room. A viewer turned away by a full stream is told so and let in when
// the page asks again. Pressing "HLS on" again stops the broadcast.
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
import { startRecording, stopRecording } from './lib/recording.mjs';

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
      s.omar = omar.page;
    }));

  it('the host records and stops: the broadcast viewer keeps watching while the egress changes twice', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'omar')) return;
      const video = `${tid('stream-video')}[data-playback="hls"]`;
      // Omar's page notes where his picture is, every 200 ms, as the broadcast changes egress.
      await s.omar.evaluate((selector) => {
        window.playerSamples = [];
        window.playerErrors = [];
        const v = document.querySelector(selector);
        v.addEventListener('error', () => window.playerErrors.push(String(v.error?.message || v.error?.code)));
        window.playerSampler = setInterval(() => {
          const now = document.querySelector(selector);
          window.playerSamples.push({ at: Date.now(), time: now ? now.currentTime : -1, paused: now ? now.paused : true });
        }, 200);
      }, video);
      /** How many times the live playlist has changed egress so far. */
      const egressChanges = async () => {
        const { playlist } = await broadcast(s.host, s.roomId);
        const counted = Number(/#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)/.exec(playlist)?.[1] || 0);
        return counted + (playlist.match(/#EXT-X-DISCONTINUITY\n/g) || []).length;
      };
      const waitForEgressChanges = async (count, from) => {
        while ((await egressChanges()) < count) {
          assert.ok(Date.now() - from < 90_000, `the broadcast did not change egress ${count} times`);
          await sleep(500);
        }
        t.diagnostic(`egress change ${count} in the live playlist ${Date.now() - from} ms after the click`);
      };

      const recordClicked = Date.now();
      await startRecording(s.host);
      await waitForEgressChanges(1, recordClicked);
      // The player is a few seconds behind the playlist: let it play past the change.
      await sleep(15_000);
      await stopRecording(s.host);
      const stopped = Date.now();
      await waitForEgressChanges(2, stopped);
      await sleep(15_000);

      const { samples, errors } = await s.omar.evaluate(() => {
        clearInterval(window.playerSampler);
        return { samples: window.playerSamples, errors: window.playerErrors };
      });
      assert.deepEqual(errors, [], 'the player failed');
      // Each time the picture stood still for over half a second: when (from the record click)
      // and for how long.
      const stalls = [];
      let advancingSince = samples[0];
      for (const sample of samples) {
        if (sample.time > advancingSince.time) {
          advancingSince = sample;
          continue;
        }
        const stall = { fromRecordClick: advancingSince.at - recordClicked, ms: sample.at - advancingSince.at };
        if (stall.ms < 500) continue;
        if (stalls.at(-1)?.fromRecordClick === stall.fromRecordClick) stalls.pop();
        stalls.push(stall);
      }
      const longestStall = Math.max(0, ...stalls.map((stall) => stall.ms));
      t.diagnostic(`stop clicked ${stopped - recordClicked} ms after record; stalls: ${JSON.stringify(stalls)}`);
      const first = samples[0];
      const last = samples[samples.length - 1];
      const played = last.time - first.time;
      const elapsed = (last.at - first.at) / 1000;
      t.diagnostic(`across both egress changes: played ${played.toFixed(1)} s of ${elapsed.toFixed(1)} s, longest stall ${longestStall} ms`);
      // On this 2-core machine two compositors and two browsers share the cores while the
      // egresses change; measured: one stall of about 3 s, at the takeover.
      assert.ok(played > elapsed - 10, `the picture stood still: ${played.toFixed(1)} s played in ${elapsed.toFixed(1)} s`);
      assert.ok(longestStall < 8_000, `the picture stalled for ${longestStall} ms`);
      assert.equal(await s.omar.locator(video).count(), 1, 'still in broadcast mode');
      await waitForPlaying(s.omar, { selector: video, timeout: WAIT });
    }));

  it('invited on stage, the broadcast viewer leaves the broadcast for the live room', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'omar')) return;
      await s.omar.locator(tid('raise-hand')).click();
      const row = s.host.locator('.viewer-row', { hasText: 'Omar' });
      await row.locator(tid('invite-to-stage')).click();
      const invited = Date.now();
      await s.omar.locator('.stage-note').waitFor({ timeout: WAIT });
      // A guest talks with the host: the picture is the room's own, live, not 8 s behind.
      await waitForPlaying(s.omar, { selector: `${tid('stream-video')}:not([data-playback="hls"])`, timeout: WAIT });
      t.diagnostic(`invited → the guest sees the host live over WebRTC: ${Date.now() - invited} ms`);
      assert.equal(await s.omar.locator(tid('hls-badge')).count(), 0, 'the guest still reads "Broadcast mode"');
      await waitForPlaying(s.omar, { selector: tid('stage-video') });
      await waitForPlaying(s.host, { selector: tid('stage-video') });
      await screenshot(s.omar, 'viewer-hls-on-stage-phone');
      // Back in the audience, the former guest keeps watching live.
      await row.locator(tid('remove-from-stage')).click();
      await s.omar.locator(tid('raise-hand')).waitFor({ timeout: WAIT });
      await waitForPlaying(s.omar, { selector: `${tid('stream-video')}:not([data-playback="hls"])`, timeout: WAIT });
    }));

  // The real refusal needs a server with HLS off and a seat cap (the API suite has one); here
  // the first token request is answered as such a server answers it, and the rest go through.
  it('a viewer turned away by a full stream is told so, and let in when asked again', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host')) return;
      const pia = await newParticipant('viewer-full');
      let turnedAway = 0;
      await pia.page.route('**/api/token', async (route) => {
        if (turnedAway > 0) return route.fallback();
        turnedAway += 1;
        await route.fulfill({
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '3' },
          body: JSON.stringify({
            error: {
              code: 'audience_full',
              message: 'this stream has as many viewers as it can take, and no broadcast for more; try again later',
              retryAfterSeconds: 3,
            },
          }),
        });
      });
      await pia.page.goto(s.shareUrl);
      await pia.page.getByText('This stream is full right now').waitFor({ timeout: WAIT });
      await screenshot(pia.page, 'viewer-stream-full');
      const told = Date.now();
      await waitForStreamState(pia.page, 'live');
      t.diagnostic(`"full" → let in when asked again: ${Date.now() - told} ms`);
      assert.equal(turnedAway, 1);
      await pia.close();
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
