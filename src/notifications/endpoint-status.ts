export const ENDPOINT_STATUSES = ['enabled', 'disabled'] as const;

export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

/** status_reason of an endpoint disabled through PATCH /notification-endpoints/:id. */
export const DISABLED_BY_OPERATOR = 'disabled by operator';
