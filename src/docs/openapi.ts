import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * The OpenAPI description of the whole API, as a page at GET /docs and as
 * JSON at GET /docs-json. It describes routes, not secrets, so it is public.
 */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('shelfsync')
    .setDescription(
      'Verified, exactly-once order and inventory webhooks on PostgreSQL. ' +
        'POST /webhooks[/{source}] receives signed gateway events; every other route is the management API ' +
        'and needs `Authorization: Bearer <ADMIN_TOKEN>`. Errors are `{statusCode, error, message, errors?}`.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque token', description: 'ADMIN_TOKEN' }, 'admin')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
