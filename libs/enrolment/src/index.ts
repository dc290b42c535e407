export { EnrolmentService, type EnrolmentView, type EnrolmentStatus, type EnrolmentPrompt } from './enrolment.service.js';
export { EnrolmentModule } from './enrolment.module.js';
export { CardDeskService } from './card-desk.service.js';
