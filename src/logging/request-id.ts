import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export type RequestWithId = Request & { requestId?: string };

const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Every request gets an id (the caller's x-request-id when sane), answered back and written in its log lines. */
export function assignRequestId(request: RequestWithId, response: Response, next: NextFunction): void {
  const given = request.headers['x-request-id'];
  request.requestId = typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
  response.setHeader('x-request-id', request.requestId);
  next();
}
