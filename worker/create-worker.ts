import { createRequire } from 'node:module';
import { type NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

const require = createRequire(import.meta.url);

/** Path of the workflow entry module, bundled by the worker at start. */
export const workflowsPath = require.resolve('../workflows/index.ts');

export interface TenureWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A pre-built bundle (tests build one for all workers); otherwise the worker bundles on start. */
  workflowBundle?: WorkflowBundleOption;
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>;
}

export async function createTenureWorker(options: TenureWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    shutdownGraceTime: '10 seconds',
    // A shared V8 context crashed the worker thread ("async hook stack has become corrupted")
    // when a child workflow completed under Node 20; one context per workflow does not.
    reuseV8Context: false,
    ...options.tuning,
  });
}
