// A stand-alone publisher for the API suites: Chromium's fake camera and microphone published
// into a LiveKit room with the official livekit-client, without the OnAir app.
//
//   node tests/browser/tools/publisher.mjs <ws://livekit-url> <token>
//
// Prints `publishing` once the camera and microphone tracks are published, then keeps
// publishing until it gets SIGTERM or its stdin closes. Errors go to stderr, with exit code 1.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_FLAGS } from '../lib/chromium.mjs';

const [livekitUrl, token] = process.argv.slice(2);
if (!livekitUrl || !token) {
  console.error('usage: publisher.mjs <livekit-url> <token>');
  process.exit(2);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// The app's own copy of the SDK (frontend/package-lock.json pins it).
const sdk = readFileSync(path.join(root, 'frontend/node_modules/livekit-client/dist/livekit-client.umd.js'));

// A page served from loopback: a secure context (camera access) that Chromium lets reach
// LiveKit on loopback too.
const server = http.createServer((request, response) => {
  if (request.url === '/sdk.js') {
    response.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
  } else {
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>publisher</title><script src="/sdk.js"></script>');
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_FLAGS,
  timeout: 60_000,
});
let closing = false;
const close = async (code) => {
  if (closing) return;
  closing = true;
  await browser.close().catch(() => {});
  server.close();
  process.exit(code);
};
process.on('SIGTERM', () => close(0));
process.on('SIGINT', () => close(0));
process.stdin.on('end', () => close(0));
process.stdin.resume();

try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.evaluate(
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
