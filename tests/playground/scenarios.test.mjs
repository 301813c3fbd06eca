// The bot in Microsoft 365 Agents Playground's Teams-like client, each scenario typed and clicked as a person would.
// Run with `make e2e`; screenshots land in build/e2e/<scenario>/.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeBrowser, startChat } from './harness.mjs';

after(closeBrowser);

/** Runs `steps` in a fresh chat; on failure keeps a screenshot of where it stopped. */
async function scenario(name, steps) {
  const chat = await startChat(name);
  try {
    await steps(chat);
    await chat.checkEveryCardRendered();
  } catch (error) {
    await chat.screenshot('where-it-stopped').catch(() => {});
    throw error;
  } finally {
    await chat.close();
  }
}

async function tryAs(chat, who) {
  await chat.sees('You are not set up yet');
  await chat.press(`Try as ${who}`);
  await chat.sees(`Welcome, ${who.replace(/ \(.*/, '')}`);
}

test('installing the bot shows the welcome card, and help lists the commands', () =>
  scenario('welcome-and-help', async (chat) => {
    await chat.sees('You are not set up yet');
    await chat.screenshot('installed');
    await chat.press('Try as Priya Shah (practitioner)');
    const welcome = await chat.sees('Welcome, Priya Shah');
    assert.match(await welcome.innerText(), /due\s+What is due for you/);
    await chat.screenshot('welcome');
    await chat.say('help');
    const help = await chat.sees('Here is what I can do.');
    assert.match(await help.innerText(), /journal\s+Write a reflective journal entry/);
    await chat.screenshot('help');
  }));

test('a reflective journal entry, saved as a draft half way, finished later and shared', () =>
  scenario('journal', async (chat) => {
    await tryAs(chat, 'Priya Shah (practitioner)');
    await chat.say('journal');
    await chat.sees('Step 1 of 4: The event');
    await chat.fill('Brief description of the significant event', 'A home visit for case C-1001 where the parent was angry');
    await chat.press('Next');
    await chat.sees('Step 2 of 4: Reflection');
    await chat.fill('What was I thinking and feeling at the time?', 'Worried, and unsure whether to stay');
    await chat.press('Save draft');
    await chat.sees('Draft saved at');
    await chat.screenshot('draft-saved');
    await chat.say('drafts');
    await chat.sees('Forms you have started');
    await chat.press('Carry on: Reflective journal');
    const resumed = await chat.sees('Welcome back.');
    assert.equal(await resumed.getByLabel('What was I thinking and feeling at the time?').inputValue(), 'Worried, and unsure whether to stay');
    await chat.press('Next');
    await chat.sees('Step 3 of 4: Analysis and action');
    await chat.fill('How did I react and why?', 'I kept calm and explained why we were there');
    await chat.press('Next');
    await chat.sees('Step 4 of 4: Learning');
    await chat.fill('On reflection I achieved or learned', 'That naming the worry early calms a visit');
    await chat.screenshot('last-step');
    await chat.press('Finish');
    await chat.hears('Your reflective journal is saved.');
    await chat.press('Share with my supervisor', await chat.sees('Share with my supervisor'));
    await chat.hears('shared');
    await chat.screenshot('shared');
  }));

test('a case discussion reviews the actions brought forward, agrees two new ones, and is recorded on the file', () =>
  scenario('case-discussion', async (chat) => {
    await tryAs(chat, 'Priya Shah (practitioner)');
    await chat.say('case');
    await chat.sees('Step 1 of 7: The child');
    await chat.choose('Which case?', 'Case C-1001');
    await chat.choose('Before the discussion, how worried are you?', 'Amber: some worries');
    await chat.screenshot('the-child');
    await chat.press('Next');
    const brought = await chat.sees('Step 2 of 7: Actions from last time');
    assert.match(await brought.innerText(), /Visit the school \(Priya, by/);
    assert.match(await brought.innerText(), /Ask the family doctor for a report \(Sam, by/);
    await chat.choose('Visit the school', 'Done');
    await chat.choose('Ask the family doctor for a report', 'Not done');
    await chat.fill('If not done, why?', 'The surgery asked for consent first', brought, 1); // the second action's
    await chat.screenshot('actions-brought-forward');
    await chat.press('Next');
    await chat.sees('Step 3 of 7: Key issues');
    await chat.fill('Why are we involved', 'School attendance has fallen; the plan targets morning routines');
    await chat.press('Next');
    await chat.sees("Step 4 of 7: The child's voice");
    await chat.fill("The child's wishes, feelings and views", 'Says mornings are hard; was quiet but smiled');
    await chat.choose('Has the child been seen since the last discussion?', 'Yes');
    await chat.press('Next');
    await chat.sees('Step 5 of 7: Effectiveness of the plan');
    await chat.fill('Is the plan working?', 'Attendance is up from 60% to 75% in six weeks');
    await chat.fill('Reflection and analysis', 'Routines help; the family responds to praise');
    await chat.press('Next');
    await chat.sees('Step 6 of 7: Actions');
    await chat.fill('Action 1: what', 'Meet the school about a morning club');
    await chat.fill('Action 1: who', 'Priya');
    await chat.pickDate('Action 1: by when', inDays(9));
    await chat.fill('Action 2: what', "Get consent for the family doctor's report");
    await chat.fill('Action 2: who', 'Priya');
    await chat.pickDate('Action 2: by when', inDays(6));
    await chat.screenshot('two-new-actions');
    await chat.press('Next');
    await chat.sees('Step 7 of 7: Procedure and oversight');
    await chat.choose('Is case recording up to date and of good quality?', 'Yes');
    await chat.choose('Is the plan specific, measurable and time-limited?', 'Yes');
    await chat.choose('Is the support at the right level', 'Yes');
    await chat.press('Finish');
    const summary = await chat.sees("Recorded on the child's file");
    assert.match(await summary.innerText(), /Meet the school about a morning club/);
    await chat.screenshot('summary');
    await chat.press("Recorded on the child's file", summary);
    await chat.hears("Marked as recorded on the child's file");
    await chat.screenshot('recorded');
  }));

/** The day and the half hour (UK time) about `hours` from now, as date and time inputs take them. */
function inHours(hours) {
  const moment = new Date(Math.ceil((Date.now() + hours * 3_600_000) / 1_800_000) * 1_800_000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(moment).map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** The date `days` from today, as a date input takes it. */
function inDays(days) {
  const day = new Date(Date.now() + days * 86_400_000);
  return day.toISOString().slice(0, 10);
}

test('an urgent request reaches the supervisor at once, and the practitioner hears when it is arranged', () =>
  scenario('urgent-request', async (chat) => {
    await tryAs(chat, 'Sam Okafor (supervisor)'); // the bot now knows where to reach Sam
    await chat.say('switch');
    await chat.sees('Choose who to try it as next.');
    await chat.press('Try as Priya Shah (practitioner)');
    await chat.sees('Welcome, Priya Shah');
    await chat.say('urgent');
    await chat.fill('What is it about?', 'A parent threatened me on a visit this morning');
    await chat.choose('Which case, if it is about a child?', 'Case C-1001');
    await chat.fill('When are you free in the next 24 hours?', 'Any time after 2pm');
    await chat.screenshot('asking');
    await chat.press('Finish');
    await chat.hears('Your request for urgent supervision has gone to Sam Okafor.');
    const request = await chat.sees('Urgent supervision asked for by Priya Shah');
    assert.match(await request.innerText(), /A parent threatened me on a visit this morning/);
    await chat.screenshot('request-reaches-the-supervisor');
    await chat.say('switch');
    await chat.press('Try as Sam Okafor (supervisor)', await chat.sees('Choose who to try it as next.'));
    await chat.sees('Welcome, Sam Okafor');
    await chat.open('I can do this at…', 'Date', request);
    const meeting = inHours(2);
    await chat.pickDate('Date', meeting.date, request);
    await chat.pickTime('Time', meeting.time, request);
    await chat.screenshot('arranging');
    await chat.press('Send', request);
    await chat.hears('Priya Shah has been told you will meet');
    await chat.sees('Your urgent supervision is arranged');
    await chat.screenshot('arranged');
  }));

test('a reminder arrives without being asked for, and its button works', () =>
  scenario('reminder', async (chat) => {
    await tryAs(chat, 'Priya Shah (practitioner)'); // the bot now knows where to reach Priya
    const moment = chat.firstMomentWithReminderFor('p1');
    const report = chat.botCommand('sweep', '--send', '--now', moment);
    assert.match(report, /sent [1-9]/, report);
    const reminder = await chat.sees('Remind me tomorrow');
    await chat.screenshot('reminder-arrives');
    await chat.press('Remind me tomorrow', reminder);
    await chat.hears('I will remind you again');
    await chat.screenshot('snoozed');
  }));
