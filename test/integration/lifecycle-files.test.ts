import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LifecycleFilesError, loadLifecycleWorkflowFiles } from '../../api/lifecycle-files';
import { createDb, type Db } from '../../db/client';
import { listDefinitions } from '../../db/queries/lifecycle-workflows';
import { databaseForTest } from '../helpers/environment';

// Definitions as YAML files loaded at start-up: the shipped Entra templates, and the errors an
// operator sees for a broken file.

const examples = join(import.meta.dirname, '..', '..', 'examples', 'lifecycle-workflows');
let db: Db;
let teardown: () => Promise<void>;

beforeAll(async () => {
  const database = await databaseForTest();
  const client = createDb(database.url, { max: 2 });
  db = client.db;
  teardown = async () => {
    await client.close();
    await database.drop();
  };
});
afterAll(async () => teardown?.());

it('loads the Entra templates, and a second load changes nothing', async () => {
  expect(await loadLifecycleWorkflowFiles(db, examples, { extensions: [] })).toBe(9);
  const loaded = await listDefinitions(db);
  expect(loaded.map((d) => d.id).sort()).toEqual([
    'job-profile-change',
    'offboard',
    'onboard-new-hire',
    'onboard-pre-hire',
    'post-offboarding',
    'post-onboarding',
    'pre-offboarding',
    'real-time-change',
    'real-time-termination',
  ]);
  expect(loaded.find((d) => d.id === 'onboard-pre-hire')).toMatchObject({ version: 1, source: 'file:onboard-pre-hire.yaml', trigger: { type: 'time', on: 'hireDate', offset: '-P7D', localTime: '09:00' } });
  expect(await loadLifecycleWorkflowFiles(db, examples, { extensions: [] })).toBe(0);
});

it('names the file and the field of every problem, and saves nothing when one file is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tenure-workflows-'));
  writeFileSync(join(dir, 'a-good.yaml'), 'id: fine\nname: Fine\ncategory: joiner\ntrigger: { type: on-demand }\ntasks: [{ type: send-welcome-email }]\n');
  writeFileSync(join(dir, 'b-bad.yaml'), "id: broken\nname: Broken\ncategory: leaver\ntrigger: { type: time, on: leaveDate, offset: P1M }\nscope: department eq\ntasks: [{ type: add-to-groups }]\n");
  writeFileSync(join(dir, 'c-not-yaml.yml'), 'id: [unclosed\n');
  const error = await loadLifecycleWorkflowFiles(db, dir, { extensions: [] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LifecycleFilesError);
  const problems = (error as LifecycleFilesError).problems;
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^b-bad\.yaml: trigger\.offset: .*months/),
      expect.stringMatching(/^b-bad\.yaml: scope: expected a value .* at position 14/),
      expect.stringMatching(/^b-bad\.yaml: tasks\.0\.args/),
      expect.stringMatching(/^c-not-yaml\.yml: not valid YAML/),
    ]),
  );
  expect((await listDefinitions(db)).some((d) => d.id === 'fine')).toBe(false);
});
