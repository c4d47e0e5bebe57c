// Who may go live, and who may watch. On the private server (`ONAIR_E2E_PRIVATE_URL`: creators
// only, through the zitadel/oidc provider xtask started, or a creator key) Olivia signs in at
// the provider's own login page, creates a stream and goes live, and Bob watches; Rex, whose
// account the operator did not allow, gets a page and no session; Kim signs in with a creator
// key and signs out. On the open server Pia streams with a passcode: Val sees only the passcode
// prompt until he types it, Wes opens the link that carries it, and the replay asks for it too.
// Last, the servers' logs hold no key, passcode, cookie or secret.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';

import {
  BASE_URL,
  MEDIA_WAIT,
  WAIT,
  closeAll,
  createStream,
  exists,
  goLive,
  journey,
  newParticipant,
  screenshot,
  sleep,
  step,
  textOf,
  tid,
  waitForHostPreview,
  waitForPlaying,
  waitForText,
} from './lib/helpers.mjs';

const STEP = { timeout: 120_000 };

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser suite through \`cargo xtask test\``);
  return value;
}

const PRIVATE_URL = required('ONAIR_E2E_PRIVATE_URL').replace(/\/+$/, '');
const CREATOR_KEY = required('ONAIR_E2E_CREATOR_KEY');
const OIDC_USER = required('ONAIR_E2E_OIDC_USER');
const OIDC_PASSWORD = required('ONAIR_E2E_OIDC_PASSWORD');
const OIDC_REFUSED_USER = required('ONAIR_E2E_OIDC_REFUSED_USER');
const PASSCODE = 'blue moon 42';

/** On the provider's login page: types the user's name and password and submits. */
async function signInAtProvider(page, username, password) {
  await page.waitForURL(/\/login\/username/, { timeout: WAIT });
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await Promise.all([page.waitForNavigation({ timeout: WAIT }), page.locator('#password').press('Enter')]);
}

/** Opens the private server's home page, signed out. */
async function openPrivateHome(label) {
  const person = await newParticipant(label);
  await person.page.goto(`${PRIVATE_URL}/`);
  await person.page.locator(tid('sign-in')).first().waitFor({ timeout: WAIT });
  return person;
}

describe('a private server: creators sign in before they go live', () => {
  const { s, need } = journey();
  after(closeAll);

  it('the home page asks to sign in instead of offering the create form', STEP, (t) =>
    step(t, async () => {
      s.olivia = await openPrivateHome('olivia');
      const { page } = s.olivia;
      assert.equal(await exists(page, 'create-stream'), false, 'no create form before signing in');
      assert.ok(await exists(page, 'creator-key-input'), 'a creator key can be typed in too');
      // At 1280×800 and at 390×844, where it must fit without sideways scrolling.
      await screenshot(page, 'home-private-signed-out');
    }));

  it('Olivia signs in at the identity provider, creates a stream and goes live; Bob watches', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'olivia')) return;
      const { page } = s.olivia;
      const started = Date.now();
      await page.locator(tid('sign-in')).first().click();
      await signInAtProvider(page, OIDC_USER, OIDC_PASSWORD);
      await page.locator(tid('create-stream')).waitFor({ timeout: WAIT });
      t.diagnostic(`sign-in round trip in the browser: ${Date.now() - started} ms`);
      await waitForText(page, 'signed-in-as', /Test User/, { what: 'signed-in-as to name Olivia’s account' });
      await screenshot(page, 'home-private-signed-in');
      const { shareUrl } = await createStream(page, { hostName: 'Olivia', title: 'Members only' });
      assert.ok(await exists(page, 'sign-out'), 'the studio offers to sign out');
      await waitForHostPreview(page);
      await goLive(page);

      const bob = await newParticipant('bob');
      await bob.page.goto(shareUrl);
      const video = await waitForPlaying(bob.page);
      t.diagnostic(`Bob watches ${video.width}x${video.height}`);
    }));

  it('Rex, whose account the operator did not allow, gets a clear page and no session', STEP, (t) =>
    step(t, async () => {
      const rex = await openPrivateHome('rex');
      const { page } = rex;
      await page.locator(tid('sign-in')).first().click();
      await signInAtProvider(page, OIDC_REFUSED_USER, OIDC_PASSWORD);
      await page.locator(tid('sign-in-refused')).waitFor({ timeout: WAIT });
      assert.match(await page.locator('main').innerText(), /not one of those allowed/);
      await screenshot(page, 'sign-in-refused');
      const me = await page.evaluate(async () => (await fetch('/api/me')).json());
      assert.equal(me.signedIn, false);
      await page.goto(`${PRIVATE_URL}/`);
      await page.locator(tid('sign-in')).first().waitFor({ timeout: WAIT });
      assert.equal(await exists(page, 'create-stream'), false);
    }));

  it('Kim signs in with a creator key (after a wrong one), then signs out', STEP, (t) =>
    step(t, async () => {
      const kim = await openPrivateHome('kim');
      const { page } = kim;
      await page.locator(tid('creator-key-input')).fill('ock_wrongwro_ng');
      await page.locator(tid('creator-key-submit')).click();
      await page.getByText(/not valid/i).first().waitFor({ timeout: WAIT });
      await screenshot(page, 'creator-key-wrong');
      await page.locator(tid('creator-key-input')).fill(CREATOR_KEY);
      await page.locator(tid('creator-key-submit')).click();
      await page.locator(tid('create-stream')).waitFor({ timeout: WAIT });
      assert.ok((await textOf(page, 'signed-in-as')).length > 0);
      await page.locator(tid('sign-out')).click();
      await page.locator(tid('sign-in')).first().waitFor({ timeout: WAIT });
      const me = await page.evaluate(async () => (await fetch('/api/me')).json());
      assert.equal(me.signedIn, false, 'the cookie is gone from the browser');
      const refused = await page.evaluate(async () => {
        const response = await fetch('/api/rooms', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ hostName: 'Kim' }),
        });
        return { status: response.status, body: await response.json() };
      });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.code, 'sign_in_required');
    }));
});

/** A viewer opening `url`; returns the participant once the passcode prompt shows. */
async function openPasscodePrompt(label, url) {
  const viewer = await newParticipant(label);
  await viewer.page.goto(url);
  await viewer.page.locator(tid('passcode-input')).waitFor({ timeout: WAIT });
  return viewer;
}

describe('a passcode stream: only those with the passcode watch and replay it', () => {
  const { s, need } = journey();
  after(closeAll);

  it('Pia creates a private stream; the studio shows the lock and the passcode hidden', STEP, (t) =>
    step(t, async () => {
      s.pia = await newParticipant('pia');
      const { page } = s.pia;
      await page.goto(`${BASE_URL}/`);
      await page.locator(tid('create-stream')).waitFor({ timeout: WAIT });
      await page.locator(tid('stream-private-toggle')).check();
      await page.locator(tid('stream-passcode-input')).fill(PASSCODE);
      await screenshot(page, 'home-private-stream-form');
      const { roomId, shareUrl } = await createStream(page, { hostName: 'Pia', title: 'Rehearsal' });
      s.roomId = roomId;
      s.shareUrl = shareUrl;
      assert.ok(await exists(page, 'copy-passcode'), 'the studio offers the passcode to copy');
      assert.equal((await page.content()).includes(PASSCODE), false, 'the passcode is not shown in the clear');
      await waitForHostPreview(page);
      await goLive(page);
      await screenshot(page, 'studio-private-live');
    }));

  it('Val sees only the passcode prompt, is told a wrong passcode is wrong, and watches with the right one', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'shareUrl')) return;
      const val = await openPasscodePrompt('val', s.shareUrl);
      const { page } = val;
      assert.equal(await exists(page, 'stream-video'), false, 'no video before the passcode');
      assert.equal(/Rehearsal|Pia/.test(await page.locator('body').innerText()), false, 'nothing of the stream shows');
      await screenshot(page, 'viewer-passcode-prompt');
      await page.locator(tid('passcode-input')).fill('wrong guess');
      await page.locator(tid('passcode-submit')).click();
      await page.getByText(/not right/i).first().waitFor({ timeout: WAIT });
      await screenshot(page, 'viewer-passcode-wrong');
      await page.locator(tid('passcode-input')).fill(PASSCODE);
      await page.locator(tid('passcode-submit')).click();
      await waitForPlaying(page);
      s.val = val;
      // The tab remembers it.
      await page.reload();
      await waitForPlaying(page);
      assert.equal(await exists(page, 'passcode-input'), false, 'not asked again in the same tab');
    }));

  it('Wes opens the link that carries the passcode and watches without typing it', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'shareUrl')) return;
      const wes = await newParticipant('wes');
      await wes.page.goto(`${s.shareUrl}#pc=${encodeURIComponent(PASSCODE)}`);
      await waitForPlaying(wes.page);
      assert.equal(new URL(wes.page.url()).hash.includes('pc='), false, 'the passcode leaves the address bar');
    }));

  it('Pia records a moment; the replay asks for the passcode, then plays', STEP, (t) =>
    step(t, async () => {
      if (!need(t, 'pia', 'roomId')) return;
      const { page } = s.pia;
      await waitForText(page, 'record-toggle', /^\s*record\b/i, { timeout: MEDIA_WAIT, what: 'record-toggle to offer Record' });
      await page.locator(tid('record-toggle')).click();
      await waitForText(page, 'record-toggle', /stop recording/i, { timeout: 45_000, what: 'the recording to run' });
      await sleep(4_000);
      await page.locator(tid('record-toggle')).click();
      await page.locator(tid('recording-link')).waitFor({ timeout: 60_000 });

      const stranger = await newParticipant('replay-stranger');
      await stranger.page.goto(`${BASE_URL}/recordings/${s.roomId}`);
      await stranger.page.locator(tid('passcode-input')).waitFor({ timeout: WAIT });
      assert.equal(await exists(stranger.page, 'recording-item'), false, 'nothing listed before the passcode');
      await screenshot(stranger.page, 'replay-passcode-prompt');
      await stranger.page.locator(tid('passcode-input')).fill(PASSCODE);
      await stranger.page.locator(tid('passcode-submit')).click();
      await stranger.page.locator(tid('recording-item')).first().waitFor({ timeout: MEDIA_WAIT });
      await waitForPlaying(stranger.page, { selector: `${tid('recording-item')} video` }).catch(() => {});
    }));
});

describe('the servers keep secrets out of their logs', () => {
  it('no creator key, passcode, session cookie or client secret in either log', () => {
    for (const name of ['ONAIR_E2E_LOG', 'ONAIR_E2E_PRIVATE_LOG']) {
      const log = readFileSync(required(name), 'utf8');
      for (const secret of [CREATOR_KEY, PASSCODE, 'onair_session=ey', OIDC_PASSWORD, 'client_secret']) {
        assert.equal(log.includes(secret), false, `${name} holds ${JSON.stringify(secret.slice(0, 12))}…`);
      }
    }
  });
});
