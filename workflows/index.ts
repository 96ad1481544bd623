export { hrWritebackWorkflow } from './hr-writeback';
export { identityWorkflow } from './identity';
