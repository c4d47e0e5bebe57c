// Every control of the studio and of the viewer page, proven by what the other side sees: Mia
// goes live and Noah watches; Mia mutes and unmutes, turns her camera off and on, shares her
// screen and stops, copies her share link; Noah watches fullscreen; Olive, whose browser blocks
// sound, gets a button to unmute and then hears Mia.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import {
  MEDIA_WAIT,
  WAIT,
  closeAll,
  journey,
  newParticipant,
  openHostStudio,
  openViewer,
  screenshot,
  step,
  textOf,
  tid,
  waitForPlaying,
  waitForStreamState,
  waitForText,
} from './lib/helpers.mjs';

const HOST = 'Mia Maker';
const STEP = { timeout: 90_000 };

/** Waits until an element with `data-testid=id` is on the page (or, with `gone`, is not). */
async function waitForPresence(page, id, { gone = false, timeout = MEDIA_WAIT } = {}) {
  await page.locator(tid(id)).first().waitFor({ state: gone ? 'detached' : 'visible', timeout });
}

/** What the page logs when the unmute button appears. */
const UNMUTE_SHOWN = 'onair-test: unmute shown';

/**
 * Runs in the viewer's page before the app (an init script): remembers `name` (the page joins
 * under it by itself, with no click), and once the stream is live, the host's
 * sound has arrived and the unmute button shows, logs {@link UNMUTE_SHOWN} with a JSON of
 * whether the page had a user gesture and what its audio elements do.
 */
function joinWithoutTouching(name) {
  localStorage.setItem('onair.viewerName', name);
  new MutationObserver((_, observer) => {
    const live = document.querySelector('[data-testid="stream-state"]')?.textContent.trim() === 'live';
    const audio = [...document.querySelectorAll('audio')];
    if (live && audio.length > 0 && document.querySelector('[data-testid="unmute"]')) {
      observer.disconnect();
      const seen = {
        hasBeenActive: navigator.userActivation.hasBeenActive,
        audio: audio.map((a) => ({ muted: a.muted, paused: a.paused })),
      };
      console.log(`onair-test: unmute shown ${JSON.stringify(seen)}`);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

/** The `data-source` of the viewer's video: which of the host's tracks it shows. */
const videoOf = (source) => `${tid('stream-video')}[data-source="${source}"]`;

/** Waits until the page plays the host's sound: an unmuted, playing element with an audio track. */
async function waitForSound(page) {
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('audio')].some(
        (a) => !a.muted && !a.paused && a.srcObject && a.srcObject.getAudioTracks().length > 0,
      ),
    null,
    { timeout: WAIT, polling: 100 },
  );
}

/** What the page's audio elements are doing (the app plays each remote audio track in one). */
function audioElements(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('audio')].map((a) => ({
      muted: a.muted,
      paused: a.paused,
      audioTracks: a.srcObject ? a.srcObject.getAudioTracks().length : 0,
    })),
  );
}

describe('every studio control shows on the viewer side', () => {
  const { s, need } = journey();

  after(closeAll);

  it('the host goes live and a viewer who joins late watches and hears them', STEP, (t) =>
    step(t, async () => {
      const studio = await openHostStudio({ hostName: HOST, title: 'All the buttons', label: 'host-controls' });
      Object.assign(s, { host: studio.page, shareUrl: studio.shareUrl });
      s.noah = await openViewer(s.shareUrl, 'Noah Notices', { label: 'viewer-noah' });
      await waitForStreamState(s.noah.page, 'live');
      await waitForPlaying(s.noah.page);
      await waitForSound(s.noah.page);
      assert.equal(await textOf(s.noah.page, 'host-muted'), null, 'the host is not said to be muted');
      assert.equal(await textOf(s.noah.page, 'camera-off'), null, 'the camera is not said to be off');
    }));

  it('the host mutes the microphone: the viewer is told, and no longer once unmuted', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'noah')) return;
      const viewer = s.noah.page;
      await s.host.locator(tid('toggle-mic')).click();
      await waitForText(s.host, 'toggle-mic', /unmute/i, { what: 'the mic button to offer "Unmute"' });
      await waitForPresence(viewer, 'host-muted');
      assert.match(await textOf(viewer, 'host-muted'), new RegExp(`${HOST} is muted`));
      assert.equal(await textOf(viewer, 'stream-state'), 'live', 'a muted host is still live');
      await screenshot(viewer, 'viewer-host-muted');
      await s.host.locator(tid('toggle-mic')).click();
      await waitForPresence(viewer, 'host-muted', { gone: true });
    }));

  it('the host turns the camera off: the viewer is told; back on, the video moves again', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'noah')) return;
      const viewer = s.noah.page;
      await s.host.locator(tid('toggle-camera')).click();
      await waitForPresence(viewer, 'camera-off');
      assert.match(await textOf(viewer, 'camera-off'), /camera off/i);
      assert.equal(await textOf(viewer, 'stream-state'), 'live', 'the host is still on air');
      await screenshot(viewer, 'viewer-camera-off');
      await s.host.locator(tid('toggle-camera')).click();
      await waitForPresence(viewer, 'camera-off', { gone: true });
      const playing = await waitForPlaying(viewer, { selector: videoOf('camera') });
      t.diagnostic(`camera back: ${playing.width}x${playing.height}, ${playing.frames} frames`);
    }));

  it('the host shares the screen: the viewer receives it, then the camera again', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'noah')) return;
      const viewer = s.noah.page;
      await s.host.locator(tid('toggle-screen')).click();
      await waitForText(s.host, 'toggle-screen', /stop sharing/i, { what: 'the screen button to offer "Stop sharing"' });
      const screen = await waitForPlaying(viewer, { selector: videoOf('screen_share') });
      t.diagnostic(`the viewer plays the shared screen at ${screen.width}x${screen.height}`);
      await screenshot(viewer, 'viewer-screen-share');
      await s.host.locator(tid('toggle-screen')).click();
      await waitForPlaying(viewer, { selector: videoOf('camera') });
    }));

  it('the host copies the share link: it is on the clipboard', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'host', 'shareUrl')) return;
      await s.host.evaluate(() => navigator.clipboard.writeText('nothing yet'));
      await s.host.locator(tid('copy-link')).click();
      await waitForText(s.host, 'copy-link', /copied/i, { what: 'the copy button to say "Copied"' });
      assert.equal(await s.host.evaluate(() => navigator.clipboard.readText()), s.shareUrl);
    }));

  it('the viewer watches fullscreen', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'noah')) return;
      const viewer = s.noah.page;
      await viewer.locator(tid('fullscreen')).click();
      await viewer.waitForFunction(
        (sel) => {
          const full = document.fullscreenElement;
          const video = document.querySelector(sel);
          return Boolean(full && video && (full === video || full.contains(video)));
        },
        tid('stream-video'),
        { timeout: WAIT },
      );
      await viewer.locator(tid('fullscreen')).click();
      await viewer.waitForFunction(() => document.fullscreenElement === null, null, { timeout: WAIT });
    }));

  it('a viewer whose browser blocks sound gets an unmute button, and hears the host after a click', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'shareUrl')) return;
      // Every playwright call into a page counts as a user gesture, which lifts the browser's
      // block on sound: until the unmute button shows, the page is left alone and tells us
      // what happens through its console.
      const olive = await newParticipant('viewer-no-autoplay', { autoplay: false });
      const { page } = olive;
      await olive.context.addInitScript(joinWithoutTouching, 'Olive Quiet');
      const unmuteShown = page.waitForEvent('console', {
        predicate: (message) => message.text().startsWith(UNMUTE_SHOWN),
        timeout: MEDIA_WAIT,
      });
      await page.goto(s.shareUrl);
      const shown = JSON.parse((await unmuteShown).text().slice(UNMUTE_SHOWN.length));
      t.diagnostic(`when the unmute button showed: ${JSON.stringify(shown)}`);
      assert.equal(shown.hasBeenActive, false, 'the page was not touched before');
      assert.ok(
        shown.audio.every((a) => a.paused),
        `the browser kept the host's sound paused: ${JSON.stringify(shown.audio)}`,
      );
      await screenshot(page, 'viewer-unmute');
      await page.locator(tid('unmute')).click();
      await waitForPresence(page, 'unmute', { gone: true, timeout: WAIT });
      await waitForSound(page);
      t.diagnostic(`audio after the click: ${JSON.stringify(await audioElements(page))}`);
    }));
});
