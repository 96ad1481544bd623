import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ensureDebianPackages } from '../../scripts/debian';

// The browser tests' Chromium (Debian's, with the flags that work offline), their phone-sized
// contexts, and the check every page passes: axe-core and a 390 px screenshot.

const screenshots = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function launchChromium(): Promise<Browser> {
  ensureDebianPackages(['chromium'], '/usr/bin/chromium');
  mkdirSync(screenshots, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A phone-sized browser of its own; CSP is bypassed only so the test can inject axe-core. */
export const phone = (browser: Browser) => browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, bypassCSP: true });

/** axe-core finds no serious or critical violation; the page is photographed 390 px wide. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ content: axeSource });
  // Run in the page (a string, as the test's own types know no DOM).
  const violations = (await page.evaluate(`axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`)) as { id: string; impact: string }[];
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), `axe on ${name}`).toEqual([]);
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

export const heading = async (page: Page) => (await page.locator('h1').textContent())?.trim();
