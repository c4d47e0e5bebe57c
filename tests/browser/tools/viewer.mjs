// A stand-alone viewer for the API suites: joins a LiveKit room with a viewer token, subscribes
// to the first camera track, and counts the frames Chromium decodes and presents.
//
//   node tests/browser/tools/viewer.mjs <ws://livekit-url> <token> [frames=10]
//
// Prints `watched <n> frames of <identity>` and exits 0 once `frames` frames were presented
// (within 30 s), else prints why on stderr and exits 1.

import { openSdkPage } from '../lib/sdk-page.mjs';

const [livekitUrl, token, wanted = '10'] = process.argv.slice(2);
if (!livekitUrl || !token) {
  console.error('usage: viewer.mjs <livekit-url> <token> [frames]');
  process.exit(2);
}

const session = await openSdkPage('viewer');
try {
  const watched = await session.page.evaluate(
    async ({ url, jwt, frames }) => {
      const { Room, RoomEvent, Track } = window.LivekitClient;
      const room = new Room();
      const track = new Promise((resolve) => {
        room.on(RoomEvent.TrackSubscribed, (subscribed, _publication, participant) => {
          if (subscribed.kind === Track.Kind.Video) resolve({ subscribed, participant });
        });
      });
      await room.connect(url, jwt);
      // `what()` is read when the time is up, so it can report progress.
      const timeout = (what) =>
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`timed out after 30 s: ${what()}`)), 30_000),
        );
      const { subscribed, participant } = await Promise.race([
        track,
        timeout(() => 'no video track was subscribed'),
      ]);
      const video = subscribed.attach();
      video.muted = true;
      document.body.append(video);
      let presented = 0;
      await Promise.race([
        new Promise((resolve) => {
          const count = () => {
            presented += 1;
            if (presented >= frames) resolve();
            else video.requestVideoFrameCallback(count);
          };
          video.requestVideoFrameCallback(count);
        }),
        timeout(() => `only ${presented} of ${frames} frames were presented`),
      ]);
      await room.disconnect();
      return { presented, identity: participant.identity };
    },
    { url: livekitUrl, jwt: token, frames: Number(wanted) },
  );
  console.log(`watched ${watched.presented} frames of ${watched.identity}`);
  await session.close();
  process.exit(0);
} catch (error) {
  console.error(`viewer failed: ${error.stack || error}`);
  await session.close();
  process.exit(1);
}
