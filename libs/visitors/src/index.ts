export { VisitorsModule } from './visitors.module.js';
export { VisitorService } from './visitor.service.js';
export { VISITOR_ENTITIES, VISITOR_STATUSES, VisitorEntity, VisitorPolicyEntity, type VisitorStatus } from './visitor.entity.js';
