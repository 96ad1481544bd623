export * from './accounts';
export * from './api-keys';
export * from './audit-events';
export * from './hr-inbox';
export * from './identities';
export * from './username-reservations';
export * from './lifecycle-workflows';
export * from './targets';
