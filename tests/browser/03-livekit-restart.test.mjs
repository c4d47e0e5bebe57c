// LiveKit dies mid-stream and its service manager brings it back on the same ports (xtask's
// supervisor plays systemd here): the viewer is told the stream is reconnecting, then watches
// live video again without doing anything.

import assert from 'node:assert/strict';
import { after, it } from 'node:test';

import {
  closeAll,
  livekitPid,
  openHostStudio,
  openViewer,
  sleep,
  step,
  streamStates,
  waitForHostLive,
  waitForNewLivekitPid,
  waitForPlaying,
  waitForStreamState,
} from './lib/helpers.mjs';

/** How long clients get to come back after LiveKit is back. */
const RECOVERY = 45_000;

after(closeAll);

it('after a LiveKit restart the viewer sees "reconnecting", then the live stream again', { timeout: 180_000 }, (t) =>
  step(t, async () => {
    const { page: host, shareUrl } = await openHostStudio({ hostName: 'Rita Resilient', label: 'host-restart' });
    const viewer = await openViewer(shareUrl, 'Victor Patient', { label: 'viewer-restart' });
    await waitForStreamState(viewer.page, 'live');
    await waitForPlaying(viewer.page);

    const before = (await streamStates(viewer.page)).length;
    const pid = livekitPid();
    t.diagnostic(`killing livekit-server (pid ${pid}) with SIGKILL`);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const newPid = await waitForNewLivekitPid(pid);
    t.diagnostic(`livekit-server is back as pid ${newPid} after ${Date.now() - killedAt} ms`);

    // The states shown since the kill must read: …, reconnecting, …, live.
    const since = async () => (await streamStates(viewer.page)).slice(before);
    const deadline = Date.now() + RECOVERY;
    let seen = [];
    for (;;) {
      seen = await since();
      const reconnecting = seen.indexOf('reconnecting');
      if (reconnecting >= 0 && seen.slice(reconnecting + 1).includes('live')) break;
      if (Date.now() > deadline) {
        assert.fail(
          `within ${RECOVERY} ms of the kill the viewer should show "reconnecting", then "live"; ` +
            `it showed: ${seen.join(' → ') || 'no change'}`,
        );
      }
      await sleep(100);
    }
    await waitForStreamState(viewer.page, 'live', { timeout: 1_000 });
    await waitForPlaying(viewer.page, { timeout: RECOVERY });
    await waitForHostLive(host, { timeout: RECOVERY });
    t.diagnostic(`viewer live again ${Date.now() - killedAt} ms after the kill (states: ${seen.join(' → ')})`);
  }));
