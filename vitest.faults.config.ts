import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Scenarios run in their numbered order, so the printed counts read 1 to 6. */
class NumberedOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
}

// `npm run test:faults`: the fault suite, apart from `npm test`. Each scenario file starts its own
// stack of real processes and breaks one of them, so files run one at a time.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    sequence: { sequencer: NumberedOrder },
    // The counts are the output: printed as they come, without vitest's per-line headers.
    disableConsoleIntercept: true,
  },
});
