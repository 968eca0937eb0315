#!/usr/bin/env node
'use strict';
// Drives a headless Chromium for DashboardIT, which sends one JSON command per line on stdin and
// reads one JSON answer per line on stdout, so the test (Java) decides what happens when: it
// registers through gRPC, then asks whether the page shows it. Every console error and uncaught
// page error is kept for the test to read. Chromium is Debian's (CHROMIUM, default
// /usr/bin/chromium): playwright-core downloads no browser.
//
//   {"op":"goto","url":"http://127.0.0.1:7101/ui/#/cluster"}
//   {"op":"waitFor","selector":"tr[data-instance=\"a\"]","timeoutMs":1000} -> {"ok":true,"elapsedMs":84}
//   {"op":"count","selector":"#members tbody tr"}                          -> {"ok":true,"count":3}
//   {"op":"text","selector":"#members"}   {"op":"texts","selector":"td"}   {"op":"click","selector":"..."}
//   {"op":"fill","selector":"#login-token","value":"..."}
//   {"op":"screenshot","path":"/abs/file.png"}   {"op":"consoleErrors","clear":true}   {"op":"close"}
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

// Without the background-networking flags Chromium reaches out to Google's services at start, and
// a closed network refuses (or stalls) those connections.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      errors.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));

  const commands = {
    async goto({ url }) {
      await page.goto(url, { waitUntil: 'load' });
      return {};
    },
    async waitFor({ selector, text, timeoutMs = 5000 }) {
      const started = Date.now();
      let locator = page.locator(selector);
      if (text) {
        locator = locator.filter({ hasText: text });
      }
      await locator.first().waitFor({ state: 'visible', timeout: timeoutMs });
      return { elapsedMs: Date.now() - started };
    },
    async count({ selector }) {
      return { count: await page.locator(selector).count() };
    },
    async text({ selector }) {
      return { text: await page.locator(selector).first().innerText() };
    },
    async texts({ selector }) {
      return { texts: await page.locator(selector).allInnerTexts() };
    },
    async fill({ selector, value }) {
      await page.locator(selector).first().fill(value, { timeout: 5000 });
      return {};
    },
    async click({ selector }) {
      await page.locator(selector).first().click({ timeout: 5000 });
      return {};
    },
    async screenshot({ path: file, fullPage = true }) {
      await page.screenshot({ path: file, fullPage });
      return {};
    },
    async consoleErrors({ clear = false }) {
      const logged = errors.slice();
      if (clear) {
        errors.length = 0;
      }
      return { errors: logged };
    },
  };

  const lines = readline.createInterface({ input: process.stdin });
  const answer = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
  answer({ ok: true, ready: true });
  for await (const line of lines) {
    if (!line.trim()) {
      continue;
    }
    let command;
    try {
      command = JSON.parse(line);
    } catch (error) {
      answer({ ok: false, error: `not JSON: ${error.message}` });
      continue;
    }
    if (command.op === 'close') {
      break;
    }
    const run = commands[command.op];
    if (!run) {
      answer({ ok: false, error: `unknown op ${command.op}` });
      continue;
    }
    try {
      answer({ ok: true, ...(await run(command)) });
    } catch (error) {
      answer({ ok: false, error: error.message.split('\n')[0] });
    }
  }
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
