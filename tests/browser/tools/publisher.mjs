// A stand-alone publisher for the API suites: Chromium's fake camera and microphone published
// into a LiveKit room with the official livekit-client, without the OnAir app.
//
//   node tests/browser/tools/publisher.mjs <ws://livekit-url> <token>
//
// Prints `publishing` once the camera and microphone tracks are published, then keeps
// publishing until it gets SIGTERM or its stdin closes. Errors go to stderr, with exit code 1.

import { openSdkPage } from '../lib/sdk-page.mjs';

const [livekitUrl, token] = process.argv.slice(2);
if (!livekitUrl || !token) {
  console.error('usage: publisher.mjs <livekit-url> <token>');
  process.exit(2);
}

let session;
let closing = false;
const close = async (code) => {
  if (closing) return;
  closing = true;
  await session?.close();
  process.exit(code);
};
process.on('SIGTERM', () => close(0));
process.on('SIGINT', () => close(0));
process.stdin.on('end', () => close(0));
process.stdin.resume();

try {
  session = await openSdkPage('publisher');
  await session.page.evaluate(
    async ({ url, jwt }) => {
      const room = new window.LivekitClient.Room();
      await room.connect(url, jwt);
      await room.localParticipant.enableCameraAndMicrophone();
      window.__room = room;
    },
    { url: livekitUrl, jwt: token },
  );
  console.log('publishing');
} catch (error) {
  console.error(`publisher failed: ${error.stack || error}`);
  await close(1);
}
