// Starts the bot and Microsoft 365 Agents Playground on loopback and drives the Playground's Teams-like
// client in headless Chromium, as a person would: typing in the message box, filling cards, pressing buttons.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '..', '..');
export const OUT = join(ROOT, 'build', 'e2e');
const PYTHON = process.env.PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PLAYGROUND = join(here, 'node_modules', '@microsoft', 'm365agentsplayground', 'cli.js');
// Fonts come from content networks this machine cannot reach; asking for them only slows each page.
const UNREACHABLE = /fonts\.googleapis|fonts\.gstatic|res-1\.cdn\.office\.net|static2\.sharepointonline|cdn\.office\.net/;
const STEP = 20_000;

async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

async function until(what, check, timeout = 30_000) {
  const stop = Date.now() + timeout;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > stop) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(name, command, args, env, log, cwd = ROOT) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(log);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  child.on('exit', (code, signal) => {
    if (code && !child.stopping) console.error(`${name} stopped with status ${code}; see ${log}`);
  });
  return child;
}

async function stop(child) {
  if (!child || child.exitCode !== null) return;
  child.stopping = true;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const late = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(late);
}

let browser;
export async function theBrowser() {
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

export async function closeBrowser() {
  await browser?.close();
  browser = undefined;
}

/** A fresh bot (demo team, its own SQLite file), a fresh Playground pointed at it, and a page showing the chat. */
export async function startChat(name, { policy = 'devon' } = {}) {
  const folder = join(OUT, name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const database = `sqlite:///${join(folder, 'companion.db')}`;
  const botPort = await freePort();
  const bot = run('the bot', PYTHON, ['-m', 'bot', 'run', '--demo', '--port', String(botPort), '--database', database, '--policy', policy],
    { SWEEP_EVERY: '0', MicrosoftAppId: '', PYTHONUNBUFFERED: '1' }, join(folder, 'bot.log'));
  await until('the bot', async () => (await fetch(`http://127.0.0.1:${botPort}/healthz`)).ok);
  const playgroundPort = await freePort();
  const playground = run('the Playground', process.execPath,
    [PLAYGROUND, '-e', `http://127.0.0.1:${botPort}/api/messages`, '-c', 'msteams', '-p', String(playgroundPort), '--disable-telemetry'],
    { TEAMSAPPTESTER_BROWSER: 'none' }, join(folder, 'playground.log'), folder); // it keeps its own logs where it runs
  await until('the Playground', async () => (await fetch(`http://127.0.0.1:${playgroundPort}/_debug/ping`)).ok);
  const page = await (await theBrowser()).newPage({ viewport: { width: 1280, height: 1000 } });
  await page.route(UNREACHABLE, (route) => route.abort());
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const frames = [];
  page.on('websocket', (socket) => socket.on('framereceived', (frame) => frames.push(String(frame.payload))));
  await page.goto(`http://127.0.0.1:${playgroundPort}/`);
  const chat = new Chat(page, folder, problems, { database, botPort, policy });
  chat.frames = frames;
  chat.close = async () => {
    await page.close();
    await stop(playground);
    await stop(bot);
  };
  return chat;
}

export class Chat {
  constructor(page, folder, problems, bot) {
    this.page = page;
    this.folder = folder;
    this.problems = problems;
    this.bot = bot;
    this.shots = 0;
  }

  /** Every card in the conversation, oldest first. */
  cards() {
    return this.page.locator('.ac-adaptiveCard');
  }

  /** The newest card. */
  lastCard() {
    return this.cards().last();
  }

  /** Waits until the conversation shows a card or message containing `text`; returns the newest such card. */
  async sees(text, { timeout = STEP } = {}) {
    const card = this.cards().filter({ hasText: text }).last();
    await card.waitFor({ state: 'visible', timeout });
    await card.scrollIntoViewIfNeeded();
    return card;
  }

  /** Waits until the conversation shows a plain message containing `text`. */
  async hears(text, { timeout = STEP } = {}) {
    const message = this.page.locator('#root').getByText(text, { exact: false }).last();
    await message.waitFor({ state: 'visible', timeout });
    return message;
  }

  /** Types into the message box and sends, as a person would. */
  async say(text) {
    const box = this.page.locator('[data-lexical-editor="true"][role="textbox"]');
    await box.click();
    await box.pressSequentially(text, { delay: 10 });
    await box.press('Enter');
  }

  /** Presses the button called `title` on the card (the newest card by default). */
  async press(title, card = this.lastCard()) {
    await card.getByRole('button', { name: title, exact: true }).last().click();
  }

  /** Presses a button that opens more of the card (such as "I can do this at…") until `field` shows. */
  async open(title, field, card = this.lastCard()) {
    const wanted = card.getByLabel(field).first();
    for (let tries = 0; tries < 3; tries += 1) {
      // the chat scrolls itself as messages arrive, so a press can land on the move: look, then press again
      await card.getByRole('button', { name: title, exact: true }).last().click();
      if (await wanted.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false)) return;
    }
    throw new Error(`pressing "${title}" did not show "${field}"`);
  }

  /** Types into the card's text or date input labelled `label` (the `nth` such, counting from 0). */
  async fill(label, text, card = this.lastCard(), nth = 0) {
    const input = card.getByLabel(label, { exact: false }).nth(nth);
    await input.click();
    await input.fill(text);
  }

  /** Picks the day `isoDate` (YYYY-MM-DD) from the calendar of the card's date input labelled `label`. */
  async pickDate(label, isoDate, card = this.lastCard()) {
    const [year, month, day] = isoDate.split('-').map(Number);
    const monthName = new Date(Date.UTC(year, month - 1, 1)).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
    await card.getByLabel(label, { exact: false }).first().click();
    const calendar = this.page.getByRole('dialog', { name: 'Calendar' }).last();
    for (let turns = 0; turns < 24; turns += 1) {
      const shown = await calendar.getByRole('button', { name: /^[A-Z][a-z]+ \d{4}$/ }).first().innerText();
      if (shown === `${monthName} ${year}`) break;
      const [shownMonth, shownYear] = shown.split(' ');
      const later = new Date(`${monthName} 1, ${year}`) > new Date(`${shownMonth} 1, ${shownYear}`);
      await calendar.locator(`button[title^="${later ? 'Next' : 'Previous'} month"]`).click();
    }
    await calendar.getByRole('button', { name: `${day}, ${monthName}, ${year}`, exact: true }).click();
  }

  /** Types the time `hhmm` into the card's time input labelled `label`, and closes its list of times. */
  async pickTime(label, hhmm, card = this.lastCard()) {
    // The client's time box reads times as it shows them, on a 12-hour clock: "12:00" alone would be midnight.
    const [hour, minute] = hhmm.split(':').map(Number);
    const shown = `${((hour + 11) % 12) + 1}:${String(minute).padStart(2, '0')} ${hour < 12 ? 'AM' : 'PM'}`;
    const input = card.getByLabel(label).first();
    await input.click();
    await input.fill(shown);
    await input.press('Tab');
  }

  /** Picks `option` in the card's choice set labelled `label` (a drop-down list or a set of buttons). */
  async choose(label, option, card = this.lastCard()) {
    const field = card.getByLabel(label, { exact: false }).first();
    if ((await field.getAttribute('role')) === 'combobox') {
      await field.click();
      await this.page.getByRole('option', { name: option, exact: true }).click();
    } else {
      await card.getByRole('radio', { name: option, exact: true }).check();
    }
  }

  /** The cards the client was sent, newest version of each message, in the order they were first sent. */
  cardsSent() {
    const messages = new Map();
    for (const frame of this.frames) {
      let event;
      try {
        event = JSON.parse(frame);
      } catch {
        continue;
      }
      if (event.action !== 'createMessage' && event.action !== 'updateMessage') continue;
      const cards = (event.message?.attachments ?? [])
        .filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')
        .map((a) => a.content);
      if (cards.length) messages.set(event.message.messageId, cards);
    }
    return [...messages.values()].flat();
  }

  /**
   * Fails if any card the client was sent is not shown whole: each card must be version 1.5 or below and
   * show every text, fact, input label and button it carries; the client must not have warned or failed.
   */
  async checkEveryCardRendered() {
    const shown = normalise((await this.page.locator('.ac-adaptiveCard').allTextContents()).join(' '));
    const sent = this.cardsSent();
    assert.ok(sent.length > 0, 'the client was sent no cards at all');
    for (const card of sent) {
      const name = wordsOf(card)[0] ?? JSON.stringify(card).slice(0, 80);
      if (card.type !== 'AdaptiveCard') this.problems.push(`a card of type ${card.type}: ${name}`);
      if (!(Number(card.version) <= 1.5)) this.problems.push(`a card of version ${card.version}: ${name}`);
      for (const words of wordsOf(card)) {
        if (!shown.includes(normalise(words))) this.problems.push(`not shown: "${words}" (in the card "${name}")`);
      }
    }
    const page = await this.page.locator('#root').innerText();
    for (const warning of page.match(/.*(is not supported yet|could not be rendered|Unable to render).*/g) ?? []) {
      this.problems.push(`the client says: ${warning}`);
    }
    assert.deepEqual(this.problems, [], 'the Playground did not show everything the bot sent');
  }

  async screenshot(name) {
    this.shots += 1;
    const path = join(this.folder, `${String(this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path, fullPage: false });
    return path;
  }

  /** The first working-day morning from today at which the sweep would remind `staffId` of something. */
  firstMomentWithReminderFor(staffId) {
    for (let days = 0; days < 10; days += 1) {
      const day = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
      const moment = `${day}T10:30:00+00:00`;
      const planned = JSON.parse(this.botCommand('sweep', '--dry-run', '--now', moment));
      if (planned.some((nudge) => nudge.recipient === staffId)) return moment;
    }
    throw new Error(`no reminder for ${staffId} in the next ten days`);
  }

  /** Sends `card` into this chat straight to the Playground, as a bot would: for checking the checks. */
  async sendAsBot(card) {
    const where = execFileSync(PYTHON, ['-c', [
      'import sqlite3, sys',
      'row = sqlite3.connect(sys.argv[1]).execute("select service_url, conversation_id from staff '
        + 'where conversation_id is not null").fetchone()',
      'print(row[0].rstrip("/") + "/v3/conversations/" + row[1] + "/activities")',
    ].join('\n'), this.bot.database.replace('sqlite:///', '')], { encoding: 'utf8' }).trim();
    const response = await fetch(where, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] }),
    });
    assert.ok(response.ok, `the Playground refused the card: ${response.status}`);
  }

  /** Runs the bot's command line against this chat's database (for example a sweep on a chosen clock). */
  botCommand(...args) {
    return execFileSync(PYTHON, ['-m', 'bot', ...args, '--database', this.bot.database, '--policy', this.bot.policy], {
      cwd: ROOT, env: { ...process.env, MicrosoftAppId: '' }, encoding: 'utf8', timeout: 120_000,
    });
  }
}

/** Text as a person reads it on screen: no Markdown marks or escapes, single spaces. */
function normalise(text) {
  return text.replace(/\*\*/g, '').replace(/\\(.)/g, '$1').replace(/\s+/g, ' ').trim();
}

/** Everything a card says that a person should see: texts, facts, input labels, button titles. */
function wordsOf(card) {
  const words = [];
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    if (typeof node.text === 'string') words.push(node.text); // a text block, or any element that carries text
    if (node.type === 'FactSet') for (const fact of node.facts ?? []) words.push(fact.title, fact.value);
    if (String(node.type).startsWith('Input.') && node.label) words.push(node.label);
    if (String(node.type).startsWith('Action.') && node.title) words.push(node.title);
    for (const [key, value] of Object.entries(node)) {
      if (key === 'card') continue; // a card shown by a button: only on screen once the button is pressed
      if (typeof value === 'object') walk(value);
    }
  };
  walk(card);
  return words.filter((w) => typeof w === 'string' && w.trim());
}
