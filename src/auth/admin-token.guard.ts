import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config.js';
import { AppError } from '../common/app-error.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `Authorization: Bearer <ADMIN_TOKEN>` on every management route; without ADMIN_TOKEN the API stays closed. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(config: AppConfig) {
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    this.expected = config.adminToken ? digest(config.adminToken) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw AppError.unauthorized('the management API is disabled: ADMIN_TOKEN is not set');
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) throw AppError.unauthorized('missing "Authorization: Bearer <ADMIN_TOKEN>" header');
    if (!timingSafeEqual(digest(match[1]), this.expected)) throw AppError.unauthorized('invalid admin token');
    return true;
  }
}
