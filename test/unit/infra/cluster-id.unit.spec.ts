import { describe, expect, it } from 'vitest';
import { kafkaClusterId } from '../../../infra/stack/local.js';

describe('kafkaClusterId', () => {
  it('is 22 base64url characters and never starts with "-" (the storage tool would take it for an option)', () => {
    for (let i = 0; i < 2000; i++) {
      const id = kafkaClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
