// The queries the people's pages read, in one place.
export { findAssignment, listCatalogs, listPackages, listRequests, liveAssignments, pendingApprovals } from '../db/queries/access';
export { findIdentities } from '../db/queries/identities';
