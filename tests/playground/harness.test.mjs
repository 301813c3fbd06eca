// The checks themselves: a card the client cannot show whole must fail a scenario, not pass unseen.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeBrowser, startChat } from './harness.mjs';

after(closeBrowser);

const broken = [
  ['an element the client does not know', { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Carousel', text: 'Never shown' }] }, /not shown: "Never shown"/],
  ['a version above 1.5', { type: 'AdaptiveCard', version: '1.6', body: [{ type: 'TextBlock', text: 'Too new' }] }, /a card of version 1\.6/],
  ['not a card at all', { type: 'HeroCard', body: [] }, /a card of type HeroCard/],
];

test('the render check fails on a card the client cannot show whole, and passes on the bot\'s own', async (t) => {
  const chat = await startChat('check-the-checks');
  try {
    await chat.sees('You are not set up yet');
    await chat.press('Try as Priya Shah (practitioner)');
    await chat.sees('Welcome, Priya Shah');
    await chat.checkEveryCardRendered(); // the bot's own cards pass
    for (const [what, card, expected] of broken) {
      await t.test(what, async () => {
        chat.problems.length = 0;
        await chat.sendAsBot(card);
        await chat.page.waitForTimeout(1000);
        await assert.rejects(chat.checkEveryCardRendered(), (error) => {
          assert.match(error.actual.join("\n"), expected);
          return true;
        });
        chat.frames.length = 0; // start the next case from a clean slate
      });
    }
  } finally {
    await chat.close();
  }
});
