// Validation against the Compose Specification's JSON schema (schema/compose-spec.json, Apache-2.0,
// from github.com/compose-spec/compose-spec). ajv's errors are mapped back onto the YAML's lines.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { StackIssue } from './errors.ts';
import { issueAt, type YamlFile } from './yaml-file.ts';

let compiled: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const schema = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'schema', 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
  delete schema['$schema']; // draft-07 under an https URL that ajv's registry does not know
  // strict off: the spec uses annotations (deprecated, x- patterns) that strict mode refuses.
  // optimize off: compiling the spec's schema takes a third of the time, validating stays fast.
  const ajv = new Ajv({ allErrors: true, strict: false, code: { optimize: false } });
  compiled = ajv.compile(schema);
  return compiled;
}

/** JSON pointer → path, with array indexes as numbers (walking the value to know which is which). */
function segments(pointer: string, value: unknown): (string | number)[] {
  if (!pointer) return [];
  const out: (string | number)[] = [];
  let v = value;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(v) ? Number(seg) : seg;
    out.push(key);
    v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined;
  }
  return out;
}

function message(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `additional property ${JSON.stringify(p['additionalProperty'])} is not allowed`;
    case 'type':
      return `must be ${String(p['type']).replace(',', ' or ')}`;
    case 'enum':
      return `must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `${JSON.stringify(p['missingProperty'])} is required`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * Validates a file's (interpolated) value. ajv reports every branch of a oneOf; keep the errors that
 * point deepest (the useful ones) and one per place.
 */
export function validateCompose(file: YamlFile, value: unknown): StackIssue[] {
  const validate = validator();
  if (validate(value)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  // A type error beside another error at the same place is the losing branch of a oneOf.
  const deepest = errors.filter(
    (e) =>
      !errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath + '/')) &&
      !(e.keyword === 'type' && errors.some((o) => o.keyword !== 'type' && o.instancePath === e.instancePath)),
  );
  const seen = new Set<string>();
  const out: StackIssue[] = [];
  for (const e of deepest.length ? deepest : (validate.errors ?? [])) {
    const segs = segments(e.instancePath, value);
    let key = false;
    if (e.keyword === 'additionalProperties') {
      segs.push(String((e.params as { additionalProperty: string }).additionalProperty));
      key = true;
    }
    const id = `${segs.join('/')}|${e.keyword}`;
    if (seen.has(id) || seen.has(segs.join('/'))) continue;
    seen.add(id);
    seen.add(segs.join('/'));
    out.push(issueAt(file, segs, message(e), { key }));
    if (out.length >= 50) break;
  }
  return out;
}
