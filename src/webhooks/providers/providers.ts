import { Injectable } from '@nestjs/common';
import { type ProviderName, WebhookSources } from '../webhook-sources.js';
import type { Provider } from './provider.js';
import { ShelfsyncProvider } from './shelfsync.provider.js';
import { ShopifyProvider } from './shopify.provider.js';
import { StripeProvider } from './stripe.provider.js';
import { WooCommerceProvider } from './woocommerce.provider.js';

const PROVIDERS: Record<ProviderName, Provider> = {
  shelfsync: new ShelfsyncProvider(),
  stripe: new StripeProvider(),
  shopify: new ShopifyProvider(),
  woocommerce: new WooCommerceProvider(),
};

/** The provider that reads each source's deliveries, fresh or stored (deferred events, replays). */
@Injectable()
export class Providers {
  constructor(private readonly sources: WebhookSources) {}

  forSource(source: string): Provider {
    // A stored delivery of a source no longer configured is read as the contract's envelope.
    return PROVIDERS[this.sources.get(source)?.provider ?? 'shelfsync'];
  }
}
