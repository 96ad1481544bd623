export { accessRequestWorkflow } from './access-request';
export { accessReviewBatchWorkflow, accessReviewCampaignWorkflow } from './access-review';
export { accessRolloutWorkflow } from './access-rollout';
export { hrWritebackWorkflow } from './hr-writeback';
export { identityWorkflow } from './identity';
export { lifecycleReplanWorkflow } from './lifecycle-replan';
export { lifecycleRunWorkflow } from './lifecycle-run';
export { reconcileSweepWorkflow } from './reconcile-sweep';
export { targetBreakerWorkflow } from './target-breaker';
