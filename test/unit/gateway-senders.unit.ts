import { describe, expect, it } from '@jest/globals';
import { GATEWAY_SENDERS, parseExact, setPath, stringifyExact } from '../../src/cli/gateway-senders.js';

describe('npm run send: editing a gateway payload', () => {
  it('changes fields by path, creating what is missing, every number kept as written', () => {
    const body = parseExact('{"id":9007199254740993,"line_items":[{"sku":"A","price":"1.10"}],"total":19.90}') as Record<string, unknown>;
    setPath(body, 'line_items.0.sku=B');
    setPath(body, 'data.object.metadata.order_id=42');
    setPath(body, 'customer={"first_name":"Ada"}');
    expect(stringifyExact(body)).toBe(
      '{"id":9007199254740993,"line_items":[{"sku":"B","price":"1.10"}],"total":19.90,"data":{"object":{"metadata":{"order_id":42}}},"customer":{"first_name":"Ada"}}',
    );
  });

  it.each(['no-equals', '=value', '__proto__.polluted=1', 'a.constructor=1'])('refuses --set %s', (assignment) => {
    expect(() => setPath({}, assignment)).toThrow(/--set/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes the event id and type where each gateway does', () => {
    expect(GATEWAY_SENDERS.stripe.prepare({ data: {} }, 'payment_intent.succeeded', 'evt_1')).toEqual({
      body: { data: {}, id: 'evt_1', object: 'event', type: 'payment_intent.succeeded' },
      headers: {},
    });
    expect(GATEWAY_SENDERS.shopify.prepare({}, 'orders/create', 'e-1').headers).toMatchObject({ 'x-shopify-topic': 'orders/create', 'x-shopify-event-id': 'e-1' });
    expect(GATEWAY_SENDERS.woocommerce.prepare({}, 'order.updated', 'd-1').headers).toMatchObject({
      'x-wc-webhook-topic': 'order.updated',
      'x-wc-webhook-resource': 'order',
      'x-wc-webhook-event': 'updated',
    });
  });
});
