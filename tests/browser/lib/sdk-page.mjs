// A blank page with the official livekit-client loaded, in headless Chromium: what the API
// suites' stand-alone publisher and viewer (tests/browser/tools) drive, without the OnAir app.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchChromium } from './chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Opens the page and returns `{ page, close }`; `close()` closes the browser and the page's
 * server. The page is served from loopback: a secure context (camera access) that Chromium lets
 * reach LiveKit on loopback too. `window.LivekitClient` is the app's own copy of the SDK
 * (frontend/package-lock.json pins it).
 */
export async function openSdkPage(title) {
  const sdk = readFileSync(
    path.join(root, 'frontend/node_modules/livekit-client/dist/livekit-client.umd.js'),
  );
  const server = http.createServer((request, response) => {
    if (request.url === '/sdk.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    } else {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>${title}</title><script src="/sdk.js"></script>`);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium();
  const close = async () => {
    await browser.close().catch(() => {});
    server.close();
  };
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    return { page, close };
  } catch (error) {
    await close();
    throw error;
  }
}
