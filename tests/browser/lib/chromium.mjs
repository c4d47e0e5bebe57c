// Which Chromium the browser suite and the API suites' publisher drive, with which flags, and
// how they launch it.

import { chromium } from 'playwright-core';

/** The browser: `ONAIR_E2E_CHROMIUM`, else Debian's. */
export const CHROMIUM = process.env.ONAIR_E2E_CHROMIUM || '/usr/bin/chromium';

/**
 * A home folder for Chromium (`ONAIR_E2E_CHROMIUM_HOME`), whose NSS database
 * (`.pki/nssdb`) holds the certificate authorities it trusts beyond the system's: the compose
 * check puts Caddy's internal CA there, as a LAN's users would import it.
 */
const CHROMIUM_HOME = process.env.ONAIR_E2E_CHROMIUM_HOME;

/** The flag that lets pages play sound before the user touched them. */
export const AUTOPLAY_WITH_SOUND = '--autoplay-policy=no-user-gesture-required';

/**
 * Chromium's flags (shared/STACK.md "Browser tests"): fake cameras and microphones without a
 * permission prompt (the same two flags make `getDisplayMedia` share a fake 1280x720 "screen"
 * with sound, no picker), autoplay with sound, and 127.0.0.1 ICE candidates (LiveKit advertises
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
  // Two fake cameras (fake_device_0, fake_device_1), so a test can switch between them.
  '--use-fake-device-for-media-stream=device-count=2',
  '--use-fake-ui-for-media-stream',
  AUTOPLAY_WITH_SOUND,
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * Starts a headless Chromium process with {@link CHROMIUM_FLAGS} (a fresh profile each time);
 * with `autoplay: false`, without {@link AUTOPLAY_WITH_SOUND}: the browser then blocks sound
 * until the user clicks, as browsers do by default.
 */
export async function launchChromium({ autoplay = true, extraArgs = [] } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...(autoplay ? CHROMIUM_FLAGS : CHROMIUM_FLAGS.filter((flag) => flag !== AUTOPLAY_WITH_SOUND)), ...extraArgs],
    // The Debian wrapper script execs the real binary: let it take its time on a busy machine.
    timeout: 60_000,
    ...(CHROMIUM_HOME ? { env: { ...process.env, HOME: CHROMIUM_HOME } } : {}),
  });
}
