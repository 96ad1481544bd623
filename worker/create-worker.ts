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
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows' | 'shutdownGraceTime'>;
}

/** Honoured by Worker.create (it spreads options over its defaults) though not in its public type. */
type WithIsolateTimeout = WorkerOptions & { isolateExecutionTimeout: string };

export async function createTenureWorker(options: TenureWorkerOptions): Promise<Worker> {
  const workerOptions: WithIsolateTimeout = {
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    shutdownGraceTime: '10 seconds',
    // The deadlock detector stops an activation that runs this long. Stopping one (V8
    // TerminateExecution inside a vm with async hooks) corrupts the thread's async hook stack and
    // crashes the worker, so a slow but healthy activation on a loaded host must not reach it.
    isolateExecutionTimeout: '60 seconds',
    ...options.tuning,
  };
  return Worker.create(workerOptions);
}
