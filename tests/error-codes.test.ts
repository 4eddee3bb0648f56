import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README's error table is the contract clients code against: it must list every `extensions.code` a service
// can answer with, and nothing else.

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Codes Apollo Server raises itself that reach MedPort's clients. PERSISTED_QUERY_NOT_SUPPORTED cannot (automatic
 * persisted queries are on), and INTROSPECTION_DISABLED is a `validationErrorCode` beside GRAPHQL_VALIDATION_FAILED.
 */
const APOLLO_CODES = [
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'BAD_USER_INPUT', // variables that do not fit their types
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'INTERNAL_SERVER_ERROR',
];

/** The TypeScript sources of the services: packages/<name>/src, gateway/src, subgraphs/<silo>/src. */
function serviceSources(): string[] {
  const roots = [
    ...readdirSync(join(ROOT, 'packages')).map((name) => join(ROOT, 'packages', name, 'src')),
    join(ROOT, 'gateway', 'src'),
    ...readdirSync(join(ROOT, 'subgraphs')).map((name) => join(ROOT, 'subgraphs', name, 'src')),
  ];
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory)) {
      if (entry === 'node_modules') continue;
      const path = join(directory, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) files.push(path);
    }
  };
  for (const root of roots) if (statSync(root, { throwIfNoEntry: false })?.isDirectory()) walk(root);
  return files;
}

const matchesOf = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((match) => match[1]!);

/** Every code written as `code: '…'` or passed to `userError('…', …)`, with the files that write it. */
function literalCodes(): Map<string, string[]> {
  const codes = new Map<string, string[]>();
  for (const file of serviceSources()) {
    const text = readFileSync(file, 'utf8');
    for (const code of [...matchesOf(text, /\bcode:\s*['"]([A-Z][A-Z0-9_]*)['"]/g), ...matchesOf(text, /\buserError\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g)]) {
      codes.set(code, [...(codes.get(code) ?? []), relative(ROOT, file)]);
    }
  }
  return codes;
}

/** The members of `ErrorCode` (and of the query limits' codes it includes) in packages/graphql/src/errors.ts. */
function declaredCodes(): string[] {
  const text = readFileSync(join(ROOT, 'packages/graphql/src/errors.ts'), 'utf8');
  const union = /export type ErrorCode =([^;]+);/.exec(text)?.[1];
  const limits = /export const QUERY_LIMIT_CODES = \[([^\]]+)\]/.exec(text)?.[1];
  expect(union, 'the ErrorCode type').toBeDefined();
  expect(limits, 'the QUERY_LIMIT_CODES list').toBeDefined();
  const quoted = (source: string) => matchesOf(source, /'([A-Z][A-Z0-9_]*)'/g);
  expect(union).toContain('QueryLimitCode');
  return [...quoted(union!), ...quoted(limits!)];
}

/** The codes in the first column of the README's error table (the one whose header begins `| code |`). */
function readmeCodes(): string[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const header = lines.findIndex((line) => /^\|\s*code\s*\|/.test(line));
  expect(header, 'a table in README.md whose first column is "code"').toBeGreaterThanOrEqual(0);
  const columns = lines[header]!.split('|').length;
  const rows = [];
  for (let index = header + 2; index < lines.length && lines[index]!.startsWith('|'); index++) rows.push(lines[index]!);
  const codes = rows.map((row) => {
    expect(row.split('|').length, `a row with as many cells as the header: ${row}`).toBe(columns);
    const code = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(row)?.[1];
    expect(code, `a code in the first cell: ${row}`).toBeDefined();
    return code!;
  });
  expect(codes.length).toBeGreaterThan(10);
  return codes;
}

describe("the README's error table", () => {
  it('lists every code the services emit, once, and no other', () => {
    const literal = literalCodes();
    const emitted = new Set([...literal.keys(), ...declaredCodes(), ...APOLLO_CODES]);
    const listed = readmeCodes();
    expect(listed.filter((code, index) => listed.indexOf(code) !== index), 'codes listed twice').toEqual([]);
    expect([...emitted].filter((code) => !listed.includes(code)).sort(), 'codes the README does not list').toEqual([]);
    expect(listed.filter((code) => !emitted.has(code)).sort(), 'codes the README lists that nothing emits').toEqual([]);
  });

  it('finds every code written in the sources among the declared ErrorCode members or Apollo\'s own', () => {
    const known = new Set([...declaredCodes(), ...APOLLO_CODES]);
    const undeclared = [...literalCodes()].filter(([code]) => !known.has(code)).map(([code, files]) => `${code} (${[...new Set(files)].join(', ')})`);
    expect(undeclared, 'add them to ErrorCode in packages/graphql/src/errors.ts').toEqual([]);
  });
});
