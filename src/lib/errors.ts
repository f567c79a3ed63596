/**
 * Application errors with a stable `code`. The single error handler renders them as
 * RFC 9457 problem+json; anything that is not an AppError becomes an opaque 500.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

/** 400: the request is malformed. */
export class BadRequestError extends AppError {
  constructor(message: string, errors?: FieldError[]) {
    super(400, 'bad_request', message, errors);
  }
}
/** 422: well-formed but breaks a business rule (checksum, unknown worker, control totals…). */
export class UnprocessableError extends AppError {
  constructor(message: string, errors?: FieldError[], code = 'unprocessable') {
    super(422, code, message, errors);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'A valid API key is required') {
    super(401, 'unauthorized', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'This role may not perform this action') {
    super(403, 'forbidden', message);
  }
}
/** Also used for another tenant's resource, so its existence is not revealed. */
export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super(404, 'not_found', `${what} not found`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict', errors?: FieldError[]) {
    super(409, code, message, errors);
  }
}

export const field = (path: string, message: string): FieldError[] => [{ path, message }];
