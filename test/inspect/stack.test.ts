import { describe, expect, test } from 'vitest';
import { sanitizeStack, type StackLimits } from '../../src/inspect/stack.js';
import { resolveSanitizeOptions, sanitize } from '../../src/inspect/sanitize.js';
import { serializeError } from '../../src/errors.js';

const limits: StackLimits = { maxLines: 20, maxLineChars: 300, projectRoot: '/home/ana/app', homeDir: '/home/ana' };

describe('sanitizeStack', () => {
  test('drops the header, shows the project as . and home as ~, and names no other directory', () => {
    const stack = [
      'Error: boom',
      '  a message on two lines',
      '    at run (/home/ana/app/src/job.ts:3:9)',
      '    at file:///home/ana/app/node_modules/x/y.js:1:2',
      '    at other (/home/ana/lib/z.js:4:4)',
      '    at Module (/usr/lib/node_modules/npm/lib/cli.js:1:1)',
      '    at node:internal/process/task_queues:95:5',
      '    at C:\\Users\\ana\\proj\\a.js:1:2',
      '    at file:///srv/my%20app/x.js:7:1',
    ].join('\n');
    expect(sanitizeStack(stack, limits).split('\n')).toEqual([
      '    at run (./src/job.ts:3:9)',
      '    at ./node_modules/x/y.js:1:2',
      '    at other (~/lib/z.js:4:4)',
      '    at Module (…/lib/cli.js:1:1)',
      '    at node:internal/process/task_queues:95:5',
      '    at …/proj/a.js:1:2',
      '    at …/my app/x.js:7:1',
    ]);
  });

  test('redacts URL user-info and queries and secret-looking pairs, keeping line and column', () => {
    const stack = ['Error: x', '    at fetch (https://bob:pw@api.example.com/v1/x?token=SECRET&a=1:10:5)', '    at y (/home/ana/app/a.js:1:1) password=hunter2 api_key: k-123'].join('\n');
    const out = sanitizeStack(stack, limits);
    expect(out).toBe(['    at fetch (https://[redacted]@api.example.com/v1/x?[redacted]:10:5)', '    at y (./a.js:1:1) password=[redacted] api_key: [redacted]'].join('\n'));
    expect(out).not.toMatch(/SECRET|hunter2|bob|pw@|k-123/);
  });

  test('keeps at most maxLines frames and maxLineChars per line, saying how much was cut', () => {
    const frames = Array.from({ length: 30 }, (_, i) => `    at f${i} (/home/ana/app/src/${'d'.repeat(i === 0 ? 400 : 1)}.ts:1:1)`);
    const out = sanitizeStack(['Error: deep', ...frames].join('\n'), { ...limits, maxLines: 5, maxLineChars: 60 }).split('\n');
    expect(out).toHaveLength(6);
    expect(out[0]).toMatch(/^ {4}at f0 \(\.\/src\/d+…\(\+\d+ chars\)$/);
    expect(out[0]!.startsWith('    at f0 (./src/')).toBe(true);
    expect(out[5]).toBe('    … 25 more frames');
  });

  test('a stack without frames (another engine, or a hand-made one) keeps its lines, sanitized', () => {
    expect(sanitizeStack('run@/home/ana/app/a.js:1:2\n@/opt/x/y/z.js:3:4', limits)).toBe('run@./a.js:1:2\n@…/y/z.js:3:4');
  });
});

describe('stacks on the wire', () => {
  const options = resolveSanitizeOptions({ projectRoot: '/home/ana/app', homeDir: '/home/ana' });
  const error = new Error('boom', { cause: new TypeError('inner') });
  error.stack = 'Error: boom\n    at a (/home/ana/app/src/a.ts:1:1)\n    at b (/opt/secret-place/vendor/b.js:2:2)';
  (error.cause as Error).stack = 'TypeError: inner\n    at c (file:///home/ana/other/c.js:3:3)';

  test('live errors and their causes have sanitized stacks', () => {
    const wire = sanitize(error, options) as { stack: string; cause: { stack: string } };
    expect(wire.stack).toBe('    at a (./src/a.ts:1:1)\n    at b (…/vendor/b.js:2:2)');
    expect(wire.cause.stack).toBe('    at c (~/other/c.js:3:3)');
  });

  test('error records in a context (attempts, error) have sanitized stacks through the whole cause chain', () => {
    const context = { attempts: [{ number: 1, error: serializeError(error) }], error: serializeError(error) };
    const wire = JSON.stringify(sanitize(context, options));
    expect(wire).not.toContain('/home/ana');
    expect(wire).not.toContain('secret-place');
    expect(wire).toContain('./src/a.ts:1:1');
    expect(wire).toContain('~/other/c.js:3:3');
  });

  test('a `stack` key of something that is no error record is left as data', () => {
    expect(sanitize({ stack: '/home/ana/app/x' }, options)).toEqual({ stack: '/home/ana/app/x' });
  });

  test('roots are validated', () => {
    expect(() => resolveSanitizeOptions({ projectRoot: 3 as never })).toThrow(/`projectRoot` to be a path or null/);
    expect(() => resolveSanitizeOptions({ maxStackLines: 0 })).toThrow(/`maxStackLines` to be an integer >= 1/);
  });
});
