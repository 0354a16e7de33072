import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { HttpRequest } from '../http/http.js';
import { AppConfig } from '../config/app-config.js';
import { AppError } from '../common/app-error.js';
import { isAdminToken } from './admin-token.js';

/** `Authorization: Bearer <ADMIN_TOKEN>` on every management route; without ADMIN_TOKEN the API stays closed. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected?: string;

  constructor(config: AppConfig) {
    this.expected = config.adminToken;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw AppError.unauthorized('the management API is disabled: ADMIN_TOKEN is not set');
    const header = context.switchToHttp().getRequest<HttpRequest>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) throw AppError.unauthorized('missing "Authorization: Bearer <ADMIN_TOKEN>" header');
    if (!isAdminToken(this.expected, match[1])) throw AppError.unauthorized('invalid admin token');
    return true;
  }
}
