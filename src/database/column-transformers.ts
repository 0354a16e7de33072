import type { ValueTransformer } from 'typeorm';

/** PostgreSQL numeric arrives as a string; the API speaks JSON numbers. */
export const numericToNumber: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | null) => (value === null || value === undefined ? value : Number(value)),
};
