import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import { type Page, PageQueryDto } from '../common/pagination.js';
import { CreateEndpointDto } from './dto/create-endpoint.dto.js';
import { UpdateEndpointDto } from './dto/update-endpoint.dto.js';
import { type CreatedEndpointView, type EndpointView, NotificationEndpointsService } from './notification-endpoints.service.js';

const VIEW = '{id, url, events, description, status, status_reason, created_at, updated_at} (never a secret)';

@ApiTags('notifications')
@ApiBearerAuth('admin')
@ApiResponse({ status: 401, description: 'missing or wrong admin token' })
@ApiResponse({ status: 400, description: 'invalid parameter, query or body (a refused url included); `errors` names each field' })
@ApiResponse({ status: 429, description: 'too many requests from this address; see retry-after' })
@Controller('notification-endpoints')
@UseGuards(AdminTokenGuard)
export class NotificationEndpointsController {
  constructor(private readonly endpoints: NotificationEndpointsService) {}

  @Post()
  @ApiOperation({ summary: 'Register a storefront endpoint; its whsec_ signing secret is shown only in this answer' })
  @ApiResponse({ status: 201, description: `${VIEW.replace(' (never a secret)', '')} and secret` })
  create(@Body() body: CreateEndpointDto): Promise<CreatedEndpointView> {
    return this.endpoints.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'Endpoints newest first, without their secrets' })
  @ApiResponse({ status: 200, description: `{items: [${VIEW}], next_cursor}` })
  list(@Query() query: PageQueryDto): Promise<Page<EndpointView>> {
    return this.endpoints.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint, without its secret' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiResponse({ status: 200, description: VIEW })
  @ApiResponse({ status: 404, description: 'unknown endpoint' })
  get(@Param('id') id: string): Promise<EndpointView> {
    return this.endpoints.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an endpoint: url (checked again), events, description, status (enabled re-enables it)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiResponse({ status: 200, description: VIEW })
  @ApiResponse({ status: 404, description: 'unknown endpoint' })
  update(@Param('id') id: string, @Body() body: UpdateEndpointDto): Promise<EndpointView> {
    return this.endpoints.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint and its messages' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiResponse({ status: 204, description: 'deleted' })
  @ApiResponse({ status: 404, description: 'unknown endpoint' })
  delete(@Param('id') id: string): Promise<void> {
    return this.endpoints.delete(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret; the old one keeps signing beside it for 24 hours' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiResponse({ status: 200, description: '{secret}' })
  @ApiResponse({ status: 404, description: 'unknown endpoint' })
  rotateSecret(@Param('id') id: string): Promise<{ secret: string }> {
    return this.endpoints.rotateSecret(id);
  }
}
