export { AccessRequestsModule } from './access-requests.module.js';
export { AccessRequestService } from './access-request.service.js';
export {
  ACCESS_REQUEST_ENTITIES,
  AccessRequestEntity,
  PreApprovalEntity,
  REQUEST_KINDS,
  REQUEST_STATUSES,
  type RequestKind,
  type RequestStatus,
} from './access-request.entity.js';
