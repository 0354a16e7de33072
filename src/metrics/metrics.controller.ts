import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { HttpReply } from '../http/http.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('health')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus text format; needs no token, as /health, so a scraper can read it. */
  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics: deliveries, processing time, pool, signature failures, deferred events, low stock, expired reservations' })
  async scrape(@Res() response: HttpReply): Promise<void> {
    await response.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
