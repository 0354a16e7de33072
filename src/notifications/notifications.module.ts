import { Module } from '@nestjs/common';
import { NotificationEndpointsController } from './notification-endpoints.controller.js';
import { NotificationEndpointsRepository } from './notification-endpoints.repository.js';
import { NotificationEndpointsService } from './notification-endpoints.service.js';

/** Notifications to the storefront: the endpoints it registers (and, with the outbox, the messages sent to them). */
@Module({
  controllers: [NotificationEndpointsController],
  providers: [NotificationEndpointsRepository, NotificationEndpointsService],
  exports: [NotificationEndpointsService, NotificationEndpointsRepository],
})
export class NotificationsModule {}
