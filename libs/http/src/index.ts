export { DomainError, NotFoundError, ConflictError } from './domain-error.js';
export { ProblemDetailsFilter, toProblem, type ProblemDetails } from './problem.filter.js';
export { createValidationPipe, flattenValidationErrors, type FieldProblem } from './validation.js';
export { encodeCursor, decodeCursor, type Page } from './pagination.js';
export { requestIdFrom } from './request-id.js';
export { iso, isoOrNull } from './views.js';
export { PlainText, plainTextProblem, normalisePlainText } from './plain-text.js';
export { assignRequestId, bodyDepthLimit, jsonDepth, MAX_BODY_DEPTH, noStoreByDefault } from './body-guards.js';
export { ApiProblems } from './problem.responses.js';
