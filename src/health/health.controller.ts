import { Controller, Get, HttpCode, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';

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
  async check(@Res({ passthrough: true }) response: Response): Promise<{ status: string; database: string }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), HEALTH_TIMEOUT_MS);
        }),
      ]);
      return { status: 'ok', database: 'up' };
    } catch {
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'unavailable', database: 'down' };
    } finally {
      clearTimeout(timer);
    }
  }
}
