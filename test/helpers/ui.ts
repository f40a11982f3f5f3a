/**
 * Helpers for browser tests: the headless Chromium that `npm ci` installs (`@sparticuz/chromium` ships it inside the
 * npm package), driven by playwright-core. (A test that brings up its own dev server connects to it with
 * `connectTemporal` of ./temporal.ts.)
 */
import os from 'node:os';
import path from 'node:path';
import sparticuzChromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/**
 * Launches the npm-shipped Chromium, whatever browser the machine has: the first call unpacks it to the temp
 * directory. Fonts come from the package too (Open Sans, unpacked beside it), so screenshots look the same everywhere.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await sparticuzChromium.executablePath();
  return await chromium.launch({
    executablePath,
    headless: true,
    args: sparticuzChromium.args,
    env: { ...process.env, FONTCONFIG_PATH: path.join(os.tmpdir(), 'fonts') },
  });
}
