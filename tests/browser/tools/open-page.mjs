// Opens one page of the app in headless Chromium, waits until the app has rendered the element
// with `data-testid={testId}`, and saves a screenshot. `cargo xtask image` runs it to prove that
// the image serves a working app, not only a 200.
//
//   node tests/browser/tools/open-page.mjs <url> <testId> <screenshot.png>

import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS } from '../lib/chromium.mjs';

const [url, testId, screenshot] = process.argv.slice(2);
if (!url || !testId || !screenshot) {
  console.error('usage: node open-page.mjs <url> <testId> <screenshot.png>');
  process.exit(2);
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  await page.getByTestId(testId).waitFor({ timeout: 20_000 });
  await page.screenshot({ path: screenshot });
  if (pageErrors.length > 0) {
    throw new Error(`${url} raised errors in the page: ${pageErrors.join('; ')}`);
  }
  console.log(`${url}: the app rendered [data-testid=${testId}] (screenshot: ${screenshot})`);
} finally {
  await browser.close();
}
