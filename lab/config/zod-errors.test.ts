import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { formatZodIssues } from './zod-errors.js';

/** The sentence part zod-errors makes of what `schema` says about `input`. */
function problem(schema: z.ZodType, input: unknown): string {
  const parsed = schema.safeParse(input);
  assert.equal(parsed.success, false, `${JSON.stringify(input)} was accepted`);
  return formatZodIssues(parsed.error?.issues ?? [], input);
}

describe('zod issues as sentence parts', () => {
  it('says how many items a list must hold, and how many it held', () => {
    const at = (schema: z.ZodType) => z.object({ hosts: schema });
    assert.equal(
      problem(at(z.array(z.string()).min(1)), { hosts: [] }),
      'hosts must hold at least 1 item (got an empty list)',
    );
    assert.equal(
      problem(at(z.array(z.string()).min(3)), { hosts: ['a'] }),
      'hosts must hold at least 3 items (got a list of 1 item)',
    );
    assert.equal(
      problem(at(z.array(z.string()).max(2)), { hosts: ['a', 'b', 'c'] }),
      'hosts must hold at most 2 items (got a list of 3 items)',
    );
    assert.equal(
      problem(at(z.array(z.string()).max(1)), { hosts: ['a', 'b'] }),
      'hosts must hold at most 1 item (got a list of 2 items)',
    );
  });

  it('says how long a text must be', () => {
    const at = (schema: z.ZodType) => z.object({ name: schema });
    assert.equal(problem(at(z.string().min(1)), { name: '' }), 'name must not be empty');
    assert.equal(
      problem(at(z.string().min(3)), { name: 'ab' }),
      'name must be at least 3 characters long (got "ab")',
    );
    assert.equal(
      problem(at(z.string().max(1)), { name: 'ab' }),
      'name must be at most 1 character long (got "ab")',
    );
  });

  it("keeps a number's limit as a number", () => {
    const port = z.object({ port: z.number().int().min(1).max(65535) });
    assert.equal(problem(port, { port: 70000 }), 'port must be at most 65535 (got 70000)');
    assert.equal(problem(port, { port: 0 }), 'port must be at least 1 (got 0)');
    assert.equal(problem(z.object({ n: z.number().gt(0) }), { n: 0 }), 'n must be more than 0 (got 0)');
  });

  it('names the types a lab file holds as its reader does', () => {
    assert.equal(
      problem(z.object({ minScenarios: z.number().int() }), { minScenarios: 1.5 }),
      'minScenarios must be a whole number, not 1.5',
    );
    assert.equal(
      problem(z.object({ tags: z.array(z.string()) }), { tags: '@gating' }),
      'tags must be a list, not "@gating"',
    );
  });

  it('joins a refinement that says what is required to its path as a sentence', () => {
    const one = z
      .object({ bucket: z.string().optional(), scenario: z.string().optional() })
      .refine((w) => (w.bucket === undefined) !== (w.scenario === undefined), {
        message: 'must name exactly one of bucket or scenario',
      });
    assert.equal(
      problem(z.object({ waiver: one }), { waiver: {} }),
      'waiver must name exactly one of bucket or scenario',
    );
    const other = z.string().refine(() => false, { message: 'lists a strategy twice' });
    assert.equal(problem(z.object({ s: other }), { s: 'x' }), 's: lists a strategy twice');
  });

  it('names a list given where another value belongs by its size', () => {
    assert.equal(
      problem(z.object({ port: z.number() }), { port: [1, 2] }),
      'port must be a number, not a list of 2 items',
    );
  });
});
