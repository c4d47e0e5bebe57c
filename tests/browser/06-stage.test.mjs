// The interactive stage and reactions: Mia goes live; Noah and Olive watch. Noah raises a hand,
// Mia sees it and invites him on stage; Noah's page turns his camera and microphone on without a
// reload, and Olive sees Mia and Noah side by side. Mia takes Noah off stage: his picture goes,
// and LiveKit no longer lets that participant publish. A viewer never invited cannot publish
// either — LiveKit refuses, whatever the client does. Olive sends reactions: they float up on
// Noah's and Mia's pages within a second, and a sender is rate limited.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import {
  BASE_URL,
  WAIT,
  closeAll,
  journey,
  openHostStudio,
  openViewer,
  screenshot,
  sleep,
  step,
  tid,
  waitForPlaying,
  waitForStreamState,
  waitForText,
} from './lib/helpers.mjs';
import { openSdkPage } from './lib/sdk-page.mjs';

const HOST = 'Mia Maker';
const STEP = { timeout: 120_000 };

/** The row of `name` in the studio's viewer list. */
const rowOf = (page, name) => page.locator('.viewer-row', { hasText: name });

/** How many guest tiles play video on `page`. */
function playingGuests(page) {
  return page.evaluate(
    () =>
      [...document.querySelectorAll('[data-testid="stage-video"]')].filter(
        (v) => v.readyState >= 2 && v.videoWidth > 0 && !v.paused,
      ).length,
  );
}

/** A LiveKit token for a new viewer of `roomId`, from onair's API as the app gets one. */
async function viewerToken(roomId, name) {
  const response = await fetch(`${BASE_URL}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roomName: roomId, participantName: name, isHost: false }),
  });
  assert.equal(response.status, 200, 'a viewer token');
  return response.json();
}

/** The host key the studio keeps in its browser. */
function hostKeyOf(page, roomId) {
  return page.evaluate((id) => JSON.parse(localStorage.getItem(`onair.host.${id}`)).hostKey, roomId);
}

/**
 * Waits until LiveKit has told the bare SDK page's participant whether it may publish
 * (`allowed`): the host's call answers before the permission reaches the client.
 */
function waitUntilAllowed(sdk, allowed) {
  return sdk.page.waitForFunction(
    (wanted) => window.__room?.localParticipant.permissions?.canPublish === wanted,
    allowed,
    { timeout: WAIT, polling: 50 },
  );
}

/**
 * Tries to publish a camera in a bare SDK page joined with `token`: what LiveKit lets this
 * participant do, with no app in the way. Resolves to `published` or the error LiveKit gave.
 */
async function tryToPublish(sdk, url, token) {
  return sdk.page.evaluate(
    async ({ url, token }) => {
      let room = window.__room;
      if (!room) {
        room = new window.LivekitClient.Room();
        await room.connect(url, token);
        window.__room = room;
      }
      try {
        await room.localParticipant.setCameraEnabled(true);
        const camera = room.localParticipant.getTrackPublication(window.LivekitClient.Track.Source.Camera);
        // Published means LiveKit acknowledged the track (it has a server-side sid).
        return camera && camera.trackSid ? 'published' : 'not published';
      } catch (error) {
        await room.localParticipant.setCameraEnabled(false).catch(() => {});
        return `refused: ${error.message}`;
      }
    },
    { url, token },
  );
}

describe('viewers come on stage, and everyone reacts', () => {
  const { s, need } = journey();

  after(async () => {
    for (const guest of s.extraGuests ?? []) await guest.sdk.close();
    await s.sdk?.close();
    await closeAll();
  });

  it('the host goes live; two viewers watch', STEP, (t) =>
    step(t, async () => {
      const studio = await openHostStudio({ hostName: HOST, title: 'Ask me anything', label: 'host-stage' });
      Object.assign(s, { host: studio.page, roomId: studio.roomId, shareUrl: studio.shareUrl });
      s.noah = await openViewer(s.shareUrl, 'Noah Asks', { label: 'viewer-noah-stage' });
      s.olive = await openViewer(s.shareUrl, 'Olive Watches', { label: 'viewer-olive-stage' });
      await waitForStreamState(s.noah.page, 'live');
      await waitForStreamState(s.olive.page, 'live');
      await waitForPlaying(s.olive.page);
    }));

  it('a viewer raises a hand and the host sees it, then lowers and raises it again', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'noah')) return;
      const noah = s.noah.page;
      await noah.locator(tid('raise-hand')).click();
      await waitForText(noah, 'raise-hand', /lower hand/i, { what: 'the hand to show as raised' });
      await rowOf(s.host, 'Noah Asks').locator(tid('raised-hand')).waitFor({ timeout: WAIT });
      await screenshot(s.host, 'studio-hand-raised');
      await noah.locator(tid('raise-hand')).click();
      await waitForText(noah, 'raise-hand', /raise hand/i, { what: 'the hand to show as lowered' });
      await rowOf(s.host, 'Noah Asks').locator(tid('raised-hand')).waitFor({ state: 'detached', timeout: WAIT });
      await noah.locator(tid('raise-hand')).click();
      await rowOf(s.host, 'Noah Asks').locator(tid('raised-hand')).waitFor({ timeout: WAIT });
      s.handUp = true;
    }));

  it('invited, the viewer publishes without a reload and everyone sees host and guest side by side', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'noah', 'olive', 'handUp')) return;
      const noah = s.noah.page;
      const before = noah.url();
      await rowOf(s.host, 'Noah Asks').locator(tid('invite-to-stage')).click();
      await noah.locator('.stage-note').waitFor({ timeout: WAIT });
      // Olive sees both: the host's picture and the guest's.
      await waitForPlaying(s.olive.page);
      await waitForPlaying(s.olive.page, { selector: tid('stage-video') });
      // Noah sees himself beside the host; the host sees the guest too.
      await waitForPlaying(noah, { selector: tid('stage-video') });
      await waitForPlaying(s.host, { selector: tid('stage-video') });
      assert.equal(noah.url(), before, 'no reload');
      assert.equal(await noah.locator(tid('raise-hand')).count(), 0, 'no hand to raise on stage');
      await rowOf(s.host, 'Noah Asks').locator(tid('remove-from-stage')).waitFor({ timeout: WAIT });
      // At 1280×800 and 390×844 (the helper checks the phone width has no sideways scroll).
      await screenshot(s.olive.page, 'stage-two-people');
      await screenshot(s.noah.page, 'stage-guest-view');
      await screenshot(s.host, 'studio-with-guest');
      s.onStage = true;
    }));

  it('a guest steps down by themselves, and comes back when invited again', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'noah', 'olive', 'onStage')) return;
      await s.noah.page.locator(tid('leave-stage')).click();
      await s.olive.page.locator(tid('stage-video')).waitFor({ state: 'detached', timeout: WAIT });
      await s.noah.page.locator(tid('raise-hand')).waitFor({ timeout: WAIT });
      await rowOf(s.host, 'Noah Asks').locator(tid('invite-to-stage')).click();
      await s.noah.page.locator(tid('leave-stage')).waitFor({ timeout: WAIT });
      await waitForPlaying(s.olive.page, { selector: tid('stage-video') });
    }));

  it('a full stage: the host and three guests in a grid, and a fourth guest is refused', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'olive', 'roomId', 'onStage')) return;
      const hostKey = await hostKeyOf(s.host, s.roomId);
      const auth = { authorization: `Bearer ${hostKey}` };
      s.extraGuests = [];
      // Two more guests: bare SDK clients the host invites through the API.
      for (const name of ['Finn Guest', 'Gus Guest']) {
        const { token, serverUrl, identity } = await viewerToken(s.roomId, name);
        const sdk = await openSdkPage(name);
        s.extraGuests.push({ sdk, identity });
        await sdk.page.evaluate(
          async ({ url, token }) => {
            const room = new window.LivekitClient.Room();
            await room.connect(url, token);
            window.__room = room;
          },
          { url: serverUrl, token },
        );
        const invited = await fetch(`${BASE_URL}/api/rooms/${s.roomId}/stage/${identity}`, { method: 'POST', headers: auth });
        assert.equal(invited.status, 204, `inviting ${name}`);
        await waitUntilAllowed(sdk, true);
        assert.equal(await tryToPublish(sdk, serverUrl, token), 'published', `${name} publishes on stage`);
      }
      await s.olive.page.waitForFunction(
        () => document.querySelectorAll('[data-testid="stage-video"]').length === 3,
        null,
        { timeout: WAIT },
      );
      await s.olive.page.waitForFunction(
        () =>
          [...document.querySelectorAll('[data-testid="stage-video"]')].every((v) => v.readyState >= 2 && v.videoWidth > 0),
        null,
        { timeout: WAIT },
      );
      await screenshot(s.olive.page, 'stage-four-people');

      // The stage holds the host and three guests: inviting Olive too is refused, and the
      // studio says why.
      await rowOf(s.host, 'Olive Watches').locator(tid('invite-to-stage')).click();
      await waitForText(s.host, 'studio-error', /stage is full/i, { what: 'the studio to say the stage is full' });
      assert.equal(await s.olive.page.locator('.stage-note').count(), 0, 'Olive stays in the audience');

      for (const { sdk, identity } of s.extraGuests) {
        const off = await fetch(`${BASE_URL}/api/rooms/${s.roomId}/stage/${identity}`, { method: 'DELETE', headers: auth });
        assert.equal(off.status, 204);
        await sdk.close();
      }
      s.extraGuests = [];
      await s.olive.page.waitForFunction(
        () => document.querySelectorAll('[data-testid="stage-video"]').length === 1,
        null,
        { timeout: WAIT },
      );
    }));

  it('off stage, the guest leaves the picture and LiveKit no longer lets them publish', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'noah', 'olive', 'onStage')) return;
      await rowOf(s.host, 'Noah Asks').locator(tid('remove-from-stage')).click();
      await s.olive.page.locator(tid('stage-video')).waitFor({ state: 'detached', timeout: WAIT });
      await s.noah.page.locator(tid('raise-hand')).waitFor({ timeout: WAIT });
      assert.equal(await playingGuests(s.olive.page), 0);
      await waitForPlaying(s.olive.page);
    }));

  it('LiveKit refuses to let a viewer publish unless the host invited them, and after', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'roomId')) return;
      const { token, serverUrl, identity } = await viewerToken(s.roomId, 'Eve Sneaks');
      s.sdk = await openSdkPage('would-be publisher');
      const uninvited = await tryToPublish(s.sdk, serverUrl, token);
      assert.match(uninvited, /^refused|not published/, `a never-invited viewer: ${uninvited}`);

      // The host invites this participant through the API: now LiveKit lets it publish...
      const hostKey = await hostKeyOf(s.host, s.roomId);
      const stage = `${BASE_URL}/api/rooms/${s.roomId}/stage/${identity}`;
      const auth = { authorization: `Bearer ${hostKey}` };
      assert.equal((await fetch(stage, { method: 'POST', headers: auth })).status, 204);
      await waitUntilAllowed(s.sdk, true);
      assert.equal(await tryToPublish(s.sdk, serverUrl, token), 'published', 'an invited guest publishes');
      await waitForPlaying(s.olive.page, { selector: tid('stage-video') });

      // ...and off stage, LiveKit unpublishes it and refuses it again.
      assert.equal((await fetch(stage, { method: 'DELETE', headers: auth })).status, 204);
      await s.olive.page.locator(tid('stage-video')).waitFor({ state: 'detached', timeout: WAIT });
      await waitUntilAllowed(s.sdk, false);
      const after = await tryToPublish(s.sdk, serverUrl, token);
      assert.match(after, /^refused|not published/, `after coming off stage: ${after}`);
    }));

  it('a reaction floats up for everyone within a second, and a sender is rate limited', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'noah', 'olive')) return;
      const countOn = (page) => page.locator(tid('reaction')).count();
      const fire = s.olive.page.locator(`${tid('reaction-button')}[data-emoji="🔥"]`);
      const started = Date.now();
      await fire.click();
      await Promise.all([
        s.noah.page.locator(tid('reaction')).first().waitFor({ timeout: 1_000 }),
        s.host.locator(tid('reaction')).first().waitFor({ timeout: 1_000 }),
      ]);
      t.diagnostic(`the reaction reached both other browsers in ${Date.now() - started} ms`);
      await screenshot(s.noah.page, 'viewer-reaction');
      await sleep(3_500);
      // A burst of 12 clicks: the sender sends at most 5 in 3 s.
      for (let i = 0; i < 12; i++) await fire.click();
      await sleep(700);
      const shown = await countOn(s.noah.page);
      assert.ok(shown >= 1 && shown <= 5, `a burst of 12 shows ${shown} on another page (limit 5)`);

      // A client that ignores the limit (20 at once, in OnAir's documented format) is cut
      // short by every receiver, and what is not one of the reactions is not shown at all.
      if (!s.sdk) return;
      await sleep(3_500);
      await s.sdk.page.evaluate(async () => {
        const send = (emoji) =>
          window.__room.localParticipant.publishData(new TextEncoder().encode(JSON.stringify({ emoji })), {
            reliable: true,
            topic: 'onair.reaction',
          });
        await send('<img src=x onerror=alert(1)>');
        for (let i = 0; i < 20; i++) await send('🎉');
      });
      await sleep(1_000);
      const flooded = await countOn(s.noah.page);
      assert.ok(flooded >= 1 && flooded <= 8, `a flood of 20 shows ${flooded} (receivers show at most 8 per sender)`);
      assert.equal(await s.noah.page.locator('img').count(), 0, 'nothing but the known emoji is shown');
    }));
});
