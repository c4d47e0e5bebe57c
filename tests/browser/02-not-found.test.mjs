// A mistyped or stale link: the viewer learns the stream does not exist and finds the way home.

import assert from 'node:assert/strict';
import { after, it } from 'node:test';

import {
  BASE_URL,
  WAIT,
  closeAll,
  newParticipant,
  screenshot,
  step,
  tid,
  waitForStreamState,
} from './lib/helpers.mjs';

after(closeAll);

it('an unknown stream link shows "not-found" and a link home', { timeout: 60_000 }, (t) =>
  step(t, async () => {
    const viewer = await newParticipant('viewer-lost');
    const { page } = viewer;
    await page.goto(`${BASE_URL}/stream/zzzzzzzzzzzzzz`);
    await waitForStreamState(page, 'not-found', { timeout: WAIT });
    const home = page.locator('a[href="/"]');
    assert.ok((await home.count()) > 0, 'a link to the home page');
    assert.equal(await page.locator(tid('stream-video')).count(), 0, 'no video for a missing stream');
    await screenshot(page, 'viewer-not-found');
    await home.first().click();
    await page.locator(tid('create-stream')).waitFor({ timeout: WAIT });
    assert.equal(new URL(page.url()).pathname, '/');
  }));
