export { EnrollmentService, type EnrolmentView, type EnrolmentStatus, type EnrolmentPrompt } from './enrollment.service.js';
export { EnrollmentModule } from './enrollment.module.js';
