// Streaming as OBS does: the studio's stream key, and ffmpeg sending what OBS sends over RTMP.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

import { WAIT, tid } from './helpers.mjs';

/** Asks the studio for an endpoint of `protocol` (`rtmp` or `whip`); returns its URL and key. */
export async function getStreamKey(studio, protocol) {
  await studio.locator('.obs select').selectOption(protocol);
  await studio.locator(tid('stream-from-obs')).click();
  const key = studio.locator(tid('ingress-key'));
  await key.waitFor({ timeout: WAIT });
  assert.equal(await key.getAttribute('type'), 'password', 'the key is hidden until asked for');
  return { url: await studio.locator(tid('ingress-url')).inputValue(), key: await key.inputValue() };
}

/** ffmpeg sending what OBS sends: 720p30 H.264 (x264, zerolatency) and AAC, over RTMP. */
export function rtmpEncoder(target) {
  const ffmpeg = spawn(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'warning', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30',
      '-f', 'lavfi', '-i', 'sine=frequency=440',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '60', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '128k',
      '-t', '120', '-f', 'flv', target,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  ffmpeg.stderr.on('data', (chunk) => {
    log = (log + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => ffmpeg.on('exit', (code, signal) => resolve({ code, signal })));
  return { ffmpeg, exited, log: () => log };
}
