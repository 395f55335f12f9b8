// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with a fresh profile
// that is deleted on close.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

export const CHROMIUM = process.env.MICROVM_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

export interface BrowserOptions {
  /** Default 1280×800. */
  viewport?: { width: number; height: number };
}

/** Profiles of browsers not closed yet, removed at exit whatever happens. */
const profiles = new Set<string>();
process.on('exit', () => {
  for (const profile of profiles) fs.rmSync(profile, { recursive: true, force: true });
});

export async function launchBrowser(options: BrowserOptions = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set MICROVM_CHROMIUM)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-chromium-'));
  profiles.add(profile);
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1280, height: 800 },
    });
  } catch (err) {
    fs.rmSync(profile, { recursive: true, force: true });
    profiles.delete(profile);
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
      profiles.delete(profile);
    },
  };
}
