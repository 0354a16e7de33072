import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { whsecKey } from '../../src/common/whsec-secret.js';
import { flattenValidationErrors } from '../../src/common/validation.js';
import { CreateEndpointDto } from '../../src/notifications/dto/create-endpoint.dto.js';
import { UpdateEndpointDto } from '../../src/notifications/dto/update-endpoint.dto.js';
import type { NotificationEndpoint } from '../../src/notifications/notification-endpoint.entity.js';
import { endpointId, newEndpointSecret, toEndpointView } from '../../src/notifications/notification-endpoints.service.js';
import { fieldsOf, refusal } from '../support/refusal.js';

const problems = (dto: new () => object, body: object) =>
  flattenValidationErrors(validateSync(plainToInstance(dto, body), { stopAtFirstError: true }));

describe('notification endpoints: the rules of a body', () => {
  it.each([
    [{ url: 'https://shop.example/h' }, []],
    [{ url: 'https://shop.example/h', events: ['stock.low', 'order.status_changed', 'order.needs_attention'] }, []],
    [{ url: 'https://shop.example/h', events: null }, []],
    [{ url: 'https://shop.example/h', description: null }, []],
    [{}, ['url']],
    [{ url: '' }, ['url']],
    [{ url: 'https://shop.example/\u0000' }, ['url']],
    [{ url: 'https://shop.example/h', events: [] }, ['events']],
    [{ url: 'https://shop.example/h', events: ['order.created'] }, ['events']],
    [{ url: 'https://shop.example/h', events: 'stock.low' }, ['events']],
    [{ url: 'https://shop.example/h', description: 'x'.repeat(501) }, ['description']],
  ])('POST %j: problems with %j', (body, fields) => {
    expect(problems(CreateEndpointDto, body).map((p) => p.field)).toEqual(fields);
  });

  it.each([
    [{}, []],
    [{ events: null, description: null }, []],
    [{ status: 'enabled' }, []],
    [{ status: 'disabled' }, []],
    [{ status: 'paused' }, ['status']],
    [{ status: null }, ['status']],
    [{ url: null }, ['url']],
    [{ events: ['stock.low', 'nope'] }, ['events']],
  ])('PATCH %j: problems with %j', (body, fields) => {
    expect(problems(UpdateEndpointDto, body).map((p) => p.field)).toEqual(fields);
  });

  it('names each unknown event type once, and only those', () => {
    const [problem] = problems(CreateEndpointDto, { url: 'https://shop.example/h', events: ['stock.low', 'bogus', 'bogus', 7] });
    expect(problem.message).toMatch(/^events holds unknown event types: bogus, 7 \(known: order\.status_changed, order\.needs_attention, stock\.low\)$/);
  });
});

describe('notification endpoints: ids, secrets, views', () => {
  it.each(['6f1c2e0a-1b2c-4d3e-8f90-1234567890ab', '6F1C2E0A-1B2C-4D3E-8F90-1234567890AB'])('takes %s as an id', (id) => {
    expect(endpointId(id)).toBe(id.toLowerCase());
  });

  it.each(['', '1', 'not-a-uuid', '6f1c2e0a-1b2c-4d3e-8f90-1234567890a', "6f1c2e0a-1b2c-4d3e-8f90-1234567890ab' OR 1=1"])('refuses %j as an id, naming id', (id) => {
    expect(fieldsOf(refusal(() => endpointId(id)))).toEqual(['id']);
  });

  it('makes secrets of 24 random bytes in the whsec_ format, each new', () => {
    const secrets = Array.from({ length: 20 }, () => newEndpointSecret());
    for (const secret of secrets) expect(whsecKey(secret).length).toBe(24);
    expect(new Set(secrets).size).toBe(20);
  });

  it('answers an endpoint without its secrets, every event type for NULL', () => {
    const row: NotificationEndpoint = {
      id: 'e1',
      url: 'https://shop.example/h',
      events: null,
      description: null,
      status: 'disabled',
      statusReason: 'answered 410 Gone',
      secret: 'whsec_current',
      previousSecret: 'whsec_previous',
      previousSecretUntil: new Date('2026-12-02T00:00:00Z'),
      createdAt: new Date('2026-12-01T00:00:00Z'),
      updatedAt: new Date('2026-12-01T01:00:00Z'),
    };
    expect(toEndpointView(row)).toEqual({
      id: 'e1',
      url: 'https://shop.example/h',
      events: ['order.status_changed', 'order.needs_attention', 'stock.low'],
      description: null,
      status: 'disabled',
      status_reason: 'answered 410 Gone',
      created_at: '2026-12-01T00:00:00.000Z',
      updated_at: '2026-12-01T01:00:00.000Z',
    });
    expect(toEndpointView({ ...row, events: ['stock.low'] }).events).toEqual(['stock.low']);
  });
});
