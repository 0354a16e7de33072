import { Controller, Get, HttpCode, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HttpReply } from '../http/http.js';
import { DataSource } from 'typeorm';
import { queryWithin } from '../database/deadline.js';

const HEALTH_TIMEOUT_MS = 2_000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  /** 200 when the database answers within two seconds, 503 otherwise. */
  @Get()
  @ApiOperation({ summary: 'Whether the service can reach its database' })
  @ApiResponse({ status: 200, description: '{status: ok, database: up}' })
  @ApiResponse({ status: 503, description: '{status: unavailable, database: down}: the database did not answer within two seconds' })
  @HttpCode(HttpStatus.OK)
  async check(@Res({ passthrough: true }) response: HttpReply): Promise<{ status: string; database: string }> {
    try {
      await queryWithin(this.dataSource, HEALTH_TIMEOUT_MS, 'SELECT 1');
      return { status: 'ok', database: 'up' };
    } catch {
      void response.code(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'unavailable', database: 'down' };
    }
  }
}
