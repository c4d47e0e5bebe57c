// The studio's recording controls as a host uses them: start (trying again, as a person would,
// while the recorder comes back), check the red dot, stop and wait for the saved file.

import {
  MEDIA_WAIT,
  sleep,
  textOf,
  tid,
  waitForText,
} from './helpers.mjs';

/** The egress worker needs 4–6 s to start recording, more on a busy two-core machine. */
export const RECORDING_STARTS = 45_000;
/** Stopping answers once the MP4 is uploaded; the server waits up to 45 s for it. */
export const RECORDING_SAVED = 60_000;

/** Waits until the studio's record button can be clicked (recording is set up and idle). */
export async function waitForRecordButton(page, { timeout = MEDIA_WAIT } = {}) {
  await page.waitForFunction(
    (sel) => {
      const button = document.querySelector(sel);
      return button && !button.disabled && /^\s*record\s*$/i.test(button.textContent);
    },
    tid('record-toggle'),
    { timeout, polling: 200 },
  ).catch(async (error) => {
    const why = await page.evaluate(
      (sel) => {
        const b = document.querySelector(sel);
        return b ? `${JSON.stringify(b.textContent.trim())}, disabled=${b.disabled}, title=${b.title}` : 'absent';
      },
      tid('record-toggle'),
    );
    const notes = await studioNotes(page);
    throw new Error(`record-toggle did not become an enabled "Record" within ${timeout} ms: ${why}; ${notes}`, {
      cause: error,
    });
  });
}

/** What the studio says about recording under its controls (for failure messages). */
export async function studioNotes(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.record-message, .record-reason')].map((p) => p.textContent.trim()).join(' | '),
  ).then((t) => (t ? `the studio says: ${JSON.stringify(t)}` : 'the studio says nothing about recording'));
}

/**
 * Waits until `data-testid=id` is on the page (or, with `gone`, off it); `what` (a string, or a
 * function giving one after the wait) says what was awaited when it times out.
 */
export async function waitForPresence(page, id, { gone = false, timeout, what }) {
  try {
    await page.waitForFunction(
      ([sel, wantGone]) => !document.querySelector(sel) === wantGone,
      [tid(id), gone],
      { timeout, polling: 200 },
    );
  } catch (error) {
    const describe = typeof what === 'function' ? await what() : what;
    throw new Error(`waited ${timeout} ms for ${describe}`, { cause: error });
  }
}

/**
 * The host clicks `record-toggle` and waits for the red dot with its running time. A host whose
 * recorder is still coming back (after it died) is told "Recording did not start"; like a person,
 * the test waits a moment and clicks again, within `timeout`.
 */
export async function startRecording(page, { timeout = RECORDING_STARTS } = {}) {
  const deadline = Date.now() + timeout;
  for (let attempt = 1; ; attempt++) {
    await waitForRecordButton(page, { timeout: Math.max(deadline - Date.now(), 1_000) });
    await page.locator(tid('record-toggle')).click();
    const outcome = await page
      .waitForFunction(
        ([indicator, button]) => {
          if (document.querySelector(indicator)) return 'recording';
          const message = document.querySelector('.record-message')?.textContent || '';
          const b = document.querySelector(button);
          if (/did not start|failed/i.test(message) && b && !b.disabled) return message;
          return false;
        },
        [tid('recording-indicator'), tid('record-toggle')],
        { timeout: Math.max(deadline - Date.now(), 1_000), polling: 200 },
      )
      .then((handle) => handle.jsonValue())
      .catch(() => null);
    if (outcome === 'recording') return attempt;
    if (outcome === null || Date.now() > deadline - 3_000) {
      throw new Error(
        `the recording did not start within ${timeout} ms (${attempt} attempts); ${await studioNotes(page)}; ` +
          `record-toggle reads ${JSON.stringify(await textOf(page, 'record-toggle'))}`,
      );
    }
    await sleep(2_000);
  }
}

/** The host's red dot reads "REC m:ss" and the button offers to stop. */
export async function assertHostRecording(page) {
  await waitForText(page, 'recording-indicator', /REC\s*\d+:\d\d/, {
    what: 'the studio red dot to show REC and the running time',
  });
  await waitForText(page, 'record-toggle', /stop recording/i, { what: 'record-toggle to offer "Stop recording"' });
}

/** The host clicks `record-toggle` to stop and waits until the studio offers the recording. */
export async function stopRecording(page) {
  await waitForText(page, 'record-toggle', /stop recording/i, { what: 'record-toggle to offer "Stop recording"' });
  await page.locator(tid('record-toggle')).click();
  await waitForPresence(page, 'recording-link', {
    timeout: RECORDING_SAVED,
    what: async () => `the studio to show recording-link once the file is saved (${await studioNotes(page)})`,
  });
  await waitForPresence(page, 'recording-indicator', {
    gone: true,
    timeout: 5_000,
    what: 'the studio red dot to go off',
  });
}
