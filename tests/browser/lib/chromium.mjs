// Which Chromium the browser suite and the API suites' publisher drive, with which flags, and
// how they launch it.

import { chromium } from 'playwright-core';

/** The browser: `ONAIR_E2E_CHROMIUM`, else Debian's. */
export const CHROMIUM = process.env.ONAIR_E2E_CHROMIUM || '/usr/bin/chromium';

/**
 * Chromium's flags (shared/STACK.md "Browser tests"): fake camera and microphone without a
 * permission prompt, autoplay with sound, and 127.0.0.1 ICE candidates (LiveKit advertises
 * node_ip 127.0.0.1). playwright-core's `launch` adds a fresh temporary --user-data-dir.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** Starts a headless Chromium process with {@link CHROMIUM_FLAGS} (a fresh profile each time). */
export async function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    // The Debian wrapper script execs the real binary: let it take its time on a busy machine.
    timeout: 60_000,
  });
}
