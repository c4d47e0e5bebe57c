// The main story of OnAir, told in order by real browsers (one Chromium process per person):
// Alice creates a stream from the home page and checks her camera in the studio's preview; Bob
// opens her share link early and waits, with nothing to fill in; Alice goes live and Bob's video
// starts by itself; they chat (Bob is asked his name at his first message), Carol opens the
// link of the live stream and sees it at once, then reads what was said, Alice reloads her studio (and stays on air),
// removes Dave, and ends the stream.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import {
  BASE_URL,
  answerNamePrompt,
  HOST_PREVIEW,
  MEDIA_WAIT,
  WAIT,
  chatMessages,
  chatWasSent,
  chooseName,
  closeAll,
  createStream,
  exists,
  goLive,
  journey,
  jwtPayload,
  openHome,
  openViewer,
  openViewerUntouched,
  removeViewer,
  screenshot,
  sendChat,
  sleep,
  step,
  streamStates,
  textOf,
  tid,
  waitForChat,
  waitForHostLive,
  waitForHostPreview,
  waitForPlaying,
  waitForStreamState,
  waitForText,
  waitForViewerCount,
} from './lib/helpers.mjs';

const HOST = 'Alice Host';
const TITLE = 'Friday night jam';
const BOB = 'Bob Viewer';
const CAROL = 'Carol Late';
const DAVE = 'Dave Troll';
const INJECTION = '<img src=x onerror=window.__pwned=1> <b>bold</b>';

const STEP = { timeout: 90_000 };

describe('a streamer goes live, viewers watch and chat, the streamer ends it', () => {
  const { s, need } = journey();

  after(closeAll);

  it('the home page invites a streamer to create a stream', STEP, (t) =>
    step(t, async () => {
      s.host = await openHome('host');
      const { page } = s.host;
      for (const id of ['host-name-input', 'stream-title-input', 'create-stream']) {
        assert.ok(await exists(page, id), `the home page has ${id}`);
      }
      await screenshot(page, 'home');
    }));

  it('the host creates a stream, lands in the studio with a camera preview (not yet live) and tries the other camera', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host')) return;
      const { page } = s.host;
      const { roomId, shareUrl } = await createStream(page, { hostName: HOST, title: TITLE });
      assert.match(page.url(), new RegExp(`/host/${roomId}$`));
      assert.ok(roomId.length >= 11, `the room id ${roomId} is long enough to be unguessable`);
      assert.equal(new URL(shareUrl).pathname, `/stream/${roomId}`);
      const preview = await waitForHostPreview(page);
      t.diagnostic(`the preview plays ${preview.width}x${preview.height}`);
      for (const id of ['go-live', 'toggle-mic', 'toggle-camera', 'end-stream', 'viewer-count', 'copy-link']) {
        assert.ok(await exists(page, id), `the studio has ${id}`);
      }
      // The pickers list the devices once access was granted.
      await page.waitForFunction(
        () => ['device-camera', 'device-microphone'].every((id) => document.getElementById(id)?.options.length > 0),
        null,
        { timeout: WAIT },
      );
      // Picking another camera switches the preview to it, and back. (Chromium's second fake
      // camera is a Y16 "depth" camera whose frames WebRTC cannot send: Alice goes live with
      // the first.)
      const previewCamera = () =>
        page.evaluate((sel) => document.querySelector(sel)?.srcObject?.getVideoTracks()[0]?.label ?? null, HOST_PREVIEW);
      const cameras = await page.locator('#device-camera option').allTextContents();
      const first = await previewCamera();
      t.diagnostic(`cameras: ${cameras.join(', ')}; the preview shows ${first}`);
      const other = cameras.find((label) => label !== first);
      assert.ok(other, `a second camera to pick: ${cameras}`);
      for (const label of [other, first]) {
        await page.locator('#device-camera').selectOption({ label });
        await page.waitForFunction(
          ([sel, want]) => document.querySelector(sel)?.srcObject?.getVideoTracks()[0]?.label === want,
          [HOST_PREVIEW, label],
          { timeout: WAIT },
        );
        await waitForPlaying(page, { selector: HOST_PREVIEW });
      }
      const room = await (await fetch(`${BASE_URL}/api/rooms/${roomId}`)).json();
      assert.equal(room.live, false, 'nothing is published before go-live');
      await screenshot(page, 'host-preview');
      Object.assign(s, { roomId, shareUrl });
    }));

  it('a viewer who opens the link before the host goes live is told to wait, with no form', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'shareUrl')) return;
      s.bob = await openViewer(s.shareUrl, null, { label: 'viewer-bob' });
      const { page } = s.bob;
      await waitForStreamState(page, 'waiting');
      const message = await page.locator('.stage-message').first().textContent();
      assert.match(message, /waiting for .*go live/i, `the waiting message: ${message}`);
      assert.equal(await exists(page, 'viewer-name-input'), false, 'no name is asked to watch');
      await screenshot(page, 'viewer-waiting');
    }));

  it('the host goes live and the waiting viewer\'s video starts by itself', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'bob')) return;
      await s.bob.page.evaluate(() => { window.__stillTheSamePage = true; });
      const wentLive = Date.now();
      await goLive(s.host.page);
      await waitForPlaying(s.host.page, { selector: HOST_PREVIEW });
      const { page } = s.bob;
      await waitForStreamState(page, 'live');
      const playing = await waitForPlaying(page);
      t.diagnostic(`the viewer plays ${playing.width}x${playing.height} ${Date.now() - wentLive} ms after go-live`);
      assert.ok(playing.width > 0 && playing.height > 0, `decoded ${playing.width}x${playing.height}`);
      assert.equal(await page.evaluate(() => window.__stillTheSamePage), true, 'the viewer page was not reloaded');
      t.diagnostic(`the viewer's states: ${(await streamStates(page)).join(' → ')}`);
      await screenshot(s.host.page, 'host-live');
    }));

  it('the viewer has no publish controls and a token that cannot publish', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'bob', 'roomId')) return;
      const { page } = s.bob;
      for (const id of ['toggle-mic', 'toggle-camera', 'toggle-screen', 'end-stream', 'record-toggle']) {
        assert.equal(await exists(page, id), false, `the viewer page has no ${id}`);
      }
      const { status, body } = await page.evaluate(async (roomName) => {
        const res = await fetch('/api/token', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ roomName, participantName: 'Probe', isHost: false }),
        });
        return { status: res.status, body: await res.json() };
      }, s.roomId);
      assert.equal(status, 200, JSON.stringify(body));
      const claims = jwtPayload(body.token);
      assert.equal(claims.video?.room, s.roomId);
      assert.equal(claims.video?.canPublish, false, `viewer grants: ${JSON.stringify(claims.video)}`);
      assert.equal(claims.video?.canSubscribe, true);
      assert.equal(claims.video?.canPublishData, true, 'viewers may chat');

      // A viewer cannot make themselves a host, nor end the stream.
      const attempts = await page.evaluate(async (roomName) => {
        const asHost = await fetch('/api/token', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ roomName, participantName: 'Mallory', isHost: true }),
        });
        const end = await fetch(`/api/rooms/${roomName}`, { method: 'DELETE' });
        return [asHost.status, end.status];
      }, s.roomId);
      assert.deepEqual(attempts, [401, 401]);

      // And LiveKit itself refuses a track from a viewer token (when the page has the SDK).
      const published = await page.evaluate(
        async ({ token, serverUrl }) => {
          const LK = window.LivekitClient;
          if (!LK) return 'no-sdk';
          const room = new LK.Room();
          try {
            await room.connect(serverUrl, token, { autoSubscribe: false });
            const [track] = await LK.createLocalTracks({ audio: false, video: true });
            try {
              await Promise.race([
                room.localParticipant.publishTrack(track),
                new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000)),
              ]);
              return 'published';
            } catch (error) {
              return `refused: ${error.message}`;
            } finally {
              track.stop();
            }
          } finally {
            await room.disconnect();
          }
        },
        { token: body.token, serverUrl: body.serverUrl },
      );
      t.diagnostic(`publishing with the viewer token: ${published}`);
      assert.notEqual(published, 'published', 'LiveKit accepted a track from a viewer token');
    }));

  it('the host sees the viewer counted, under a neutral name until they choose one', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'bob')) return;
      const { page } = s.host;
      await waitForViewerCount(page, 1);
      await waitForText(page, 'viewer-list', (text) => /Viewer \d{4}/.test(text), {
        what: 'viewer-list to show the viewer as "Viewer NNNN"',
      });
    }));

  it('host and viewer chat both ways; the viewer is asked a name at the first message', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'bob')) return;
      const host = s.host.page;
      const bob = s.bob.page;
      await sendChat(host, 'Welcome everyone!');
      await waitForChat(bob, { name: HOST, text: 'Welcome everyone!' });

      // Bob's first message waits for his name; it goes out once he chose one.
      await bob.locator(tid('chat-input')).fill('Hi Alice, great stream');
      await bob.locator(tid('chat-send')).click();
      await bob.locator(tid('viewer-name-input')).waitFor({ timeout: WAIT });
      await screenshot(bob, 'viewer-name-prompt');
      await answerNamePrompt(bob, BOB);
      await bob.waitForFunction((sel) => document.querySelector(sel)?.value === '', tid('chat-input'), {
        timeout: WAIT,
      });
      chatWasSent(bob);
      await waitForChat(host, { name: BOB, text: 'Hi Alice, great stream' });
      await waitForText(host, 'viewer-list', (text) => text.includes(BOB), {
        what: `viewer-list to name ${BOB} once he chose his name`,
      });
      assert.equal(
        await bob.evaluate(() => localStorage.getItem('onair.viewerName')),
        BOB,
        'the app remembers the viewer name',
      );
      // Each side also shows its own message.
      await waitForChat(host, { name: HOST, text: 'Welcome everyone!' });
      await waitForChat(bob, { name: BOB, text: 'Hi Alice, great stream' });
      s.chatted = true;
    }));

  it('markup typed into the chat stays inert text', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'bob')) return;
      const host = s.host.page;
      const bob = s.bob.page;
      await sendChat(bob, INJECTION);
      await waitForChat(host, { name: BOB, text: INJECTION });
      await waitForChat(bob, { name: BOB, text: INJECTION });
      await sleep(1_000); // time for an onerror handler to fire, were the markup live
      for (const [who, page] of [
        ['host', host],
        ['viewer', bob],
      ]) {
        const found = await page.evaluate((sel) => {
          const messages = [...document.querySelectorAll(sel)];
          return {
            pwned: typeof window.__pwned,
            elements: messages.reduce((n, m) => n + m.querySelectorAll('img, b, script').length, 0),
          };
        }, tid('chat-message'));
        assert.equal(found.pwned, 'undefined', `window.__pwned stays undefined on the ${who} page`);
        assert.equal(found.elements, 0, `no <img>/<b> element inside a chat message on the ${who} page`);
      }
    }));

  it('screenshots of the studio and the viewer page, desktop and phone', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'bob')) return;
      await screenshot(s.host.page, 'host');
      await screenshot(s.bob.page, 'viewer');
    }));

  it('a late joiner sees the chat so far, and the count rises', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'shareUrl', 'chatted')) return;
      // The share link of a live stream: frames with no click, no key press, no form.
      const { viewer, firstFrame } = await openViewerUntouched(s.shareUrl, { label: 'viewer-carol' });
      s.carol = viewer;
      const { page } = viewer;
      t.diagnostic(`a new viewer's first frame (${firstFrame.width}x${firstFrame.height}) ${firstFrame.at} ms after opening the link, untouched`);
      assert.equal(firstFrame.hasBeenActive, false, 'no click, no key press before the picture');
      await waitForStreamState(page, 'live');
      await waitForPlaying(page);
      assert.equal(await exists(page, 'viewer-name-input'), false, 'no name asked');
      await screenshot(page, 'viewer-arriving');
      await chooseName(page, CAROL);
      await waitForChat(page, { name: HOST, text: 'Welcome everyone!' });
      await waitForChat(page, { name: BOB, text: 'Hi Alice, great stream' });
      const history = await chatMessages(page);
      const welcome = history.findIndex((m) => m.includes('Welcome everyone!'));
      const hi = history.findIndex((m) => m.includes('Hi Alice, great stream'));
      assert.ok(welcome < hi, `history keeps its order: ${JSON.stringify(history)}`);
      await waitForViewerCount(s.host.page, 2);
      await waitForText(s.host.page, 'viewer-list', (text) => text.includes(CAROL) && text.includes(BOB), {
        what: 'viewer-list to name both viewers',
      });
    }));

  it('when a viewer leaves, the count falls and the list forgets them', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'carol', 'host')) return;
      await s.carol.close();
      await waitForViewerCount(s.host.page, 1);
      await waitForText(s.host.page, 'viewer-list', (text) => !text.includes(CAROL) && text.includes(BOB), {
        what: `viewer-list to drop ${CAROL}`,
      });
    }));

  it('the host reloads the studio, keeps control and stays on air', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'roomId')) return;
      const { page } = s.host;
      await page.reload();
      assert.match(page.url(), new RegExp(`/host/${s.roomId}$`));
      await waitForHostLive(page);
      assert.equal(await exists(page, 'go-live'), false, 'no second go-live after a reload');
      await waitForPlaying(page, { selector: HOST_PREVIEW });
      assert.ok(await exists(page, 'end-stream'), 'end-stream is still there');
      if (s.bob) {
        await waitForStreamState(s.bob.page, 'live');
        await waitForPlaying(s.bob.page);
      }
    }));

  it('the host removes a troublemaker, who is shown out', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'shareUrl')) return;
      s.dave = await openViewer(s.shareUrl, DAVE, { label: 'viewer-dave' });
      await waitForStreamState(s.dave.page, 'live');
      const host = s.host.page;
      await waitForViewerCount(host, s.bob ? 2 : 1);
      await waitForText(host, 'viewer-list', (text) => text.includes(DAVE), {
        what: `viewer-list to name ${DAVE}`,
      });
      await removeViewer(host, DAVE);
      await waitForStreamState(s.dave.page, 'ended');
      await waitForViewerCount(host, s.bob ? 1 : 0);
      await waitForText(host, 'viewer-list', (text) => !text.includes(DAVE), {
        what: `viewer-list to drop ${DAVE}`,
      });
      if (s.bob) assert.equal(await textOf(s.bob.page, 'stream-state'), 'live', 'Bob keeps watching');
    }));

  it('the host ends the stream for everyone', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'bob', 'roomId')) return;
      const host = s.host.page;
      await host.locator(tid('end-stream')).click();
      await host.locator(tid('confirm-end-stream')).click();
      await waitForStreamState(s.bob.page, 'ended', { timeout: MEDIA_WAIT });
      const deadline = Date.now() + 10_000;
      let status;
      do {
        status = (await fetch(`${BASE_URL}/api/rooms/${s.roomId}`)).status;
        if (status === 404) break;
        await sleep(250);
      } while (Date.now() < deadline);
      assert.equal(status, 404, 'the ended stream is gone from the API');
      await screenshot(s.bob.page, 'viewer-ended');
    }));
});
