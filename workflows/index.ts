export { hrWritebackWorkflow } from './hr-writeback';
export { identityWorkflow } from './identity';
export { lifecycleReplanWorkflow } from './lifecycle-replan';
export { lifecycleRunWorkflow } from './lifecycle-run';
export { reconcileSweepWorkflow } from './reconcile-sweep';
